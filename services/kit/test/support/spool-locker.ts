// Opens a spool at a given moment, for the lock race test: prints `locked` or `busy`, then holds
// the lock for HOLD_MS and exits without releasing it, like a process that dies.
import { createLogger } from '../../src/logging/logger.ts';
import { Spool } from '../../src/persistence/spool.ts';

const { SPOOL_DIR, START_AT, HOLD_MS = '300' } = process.env;
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(START_AT) - Date.now())));
const spool = new Spool(SPOOL_DIR!, createLogger('spool-locker', 'silent'));
try {
  await spool.open();
  process.stdout.write('locked\n');
} catch (error) {
  process.stdout.write(
    /in use/.test((error as Error).message) ? 'busy\n' : `error ${(error as Error).message}\n`,
  );
}
await new Promise((resolve) => setTimeout(resolve, Number(HOLD_MS)));
process.exit(0);
