import { execFileSync } from 'node:child_process';

/**
 * Where Debian's `prometheus` package put its binaries, or why a test cannot use them. Missing is a
 * failure under CI (`.ci/run` installs the package) and a printed skip on a developer's machine.
 */
export function prometheusBinary(name: 'prometheus' | 'promtool'): { path?: string; skip?: string } {
  try {
    return { path: execFileSync('which', [name], { encoding: 'utf8' }).trim() };
  } catch {
    if (process.env.CI)
      throw new Error(`${name} is not installed: .ci/run installs Debian's prometheus package`);
    return { skip: `${name} is not installed (apt-get install prometheus); CI runs this test` };
  }
}
