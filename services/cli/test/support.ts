import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'assay.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `assay` as a CI job would: its own process, Node 24, no TTY unless `tty`. */
export function assay(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; tty?: boolean } = {},
): Promise<CliResult> & { child: ReturnType<typeof spawn> } {
  const fullEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  // `script` gives the CLI a pseudo-terminal on stdin, stdout and stderr, as a developer's shell would.
  const child = options.tty
    ? spawn('script', ['-qefc', [process.execPath, BIN, ...args].map(shellQuote).join(' '), '/dev/null'], {
        env: { ...fullEnv, TERM: 'xterm' },
      })
    : spawn(process.execPath, [BIN, ...args], { env: fullEnv });
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
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  ) as Promise<CliResult> & { child: typeof child };
  done.child = child;
  return done;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
