import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EXIT, type ExitCode } from '../exit-codes.ts';

const SCRIPT = fileURLToPath(new URL('../../../../scripts/spool.ts', import.meta.url));
const REGISTER = fileURLToPath(new URL('../../../kit/register.mjs', import.meta.url));

/**
 * `assay spool list|replay …`: the spools are files on this machine, not behind the API, so this runs
 * the same program as `npm run spool` (it opens them and, for replay, the database), in a child so the
 * services' modules load only here. Its usage error (2) becomes the CLI's (4).
 */
export async function spool(args: string[]): Promise<ExitCode> {
  const result = spawnSync(process.execPath, ['--import', REGISTER, SCRIPT, ...args], { stdio: 'inherit' });
  if (result.status === 0) return EXIT.OK;
  return result.status === 2 ? EXIT.USAGE : EXIT.UNHEALTHY;
}
