import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'assay.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Everything every `assay` run of this test process printed, so a test can check what never appears. */
export const printed: string[] = [];

/**
 * Runs `assay` as a CI job would: its own process, Node 24, no TTY unless `tty`, in `cwd` (where it
 * looks for `./assay.config.json` and `./.assay/dev-api-key`) or this process's directory.
 */
export function assay(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; tty?: boolean; cwd?: string } = {},
): Promise<CliResult> & { child: ReturnType<typeof spawn> } {
  const fullEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  const cwd = options.cwd;
  // `script` gives the CLI a pseudo-terminal on stdin, stdout and stderr, as a developer's shell would.
  const child = options.tty
    ? spawn('script', ['-qefc', [process.execPath, BIN, ...args].map(shellQuote).join(' '), '/dev/null'], {
        env: { ...fullEnv, TERM: 'xterm' },
        cwd,
      })
    : spawn(process.execPath, [BIN, ...args], { env: fullEnv, cwd });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  else if (!options.tty) child.stdin!.end();
  const done = new Promise<CliResult>((resolve) =>
    child.once('close', (code) => {
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    }),
  ) as Promise<CliResult> & { child: typeof child };
  done.child = child;
  return done;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
