// The first API key of a container stack (docker-compose.yml's one-shot `gateway-key`, run before the
// gateway, which refuses to listen on a non-loopback address with no usable key):
//   node --import ./services/kit/register.mjs services/gateway/src/first-key.ts
// Creates the access schema and, unless <ASSAY_DATA_DIR>/dev-api-key holds a key the database still
// accepts, a read/write/admin key for the `default` tenant kept there (0600): the same key `npm start`
// makes (dev-key.ts). Prints the key once, when it is new, and otherwise only where it is kept; exits
// 0 then, 1 with a one-line reason when there is no database to put it in.
import { loadConfig } from '@assay/kit';
import { ConfigError } from '@assay/kit/operations';
import { AccessStore } from './access/access-store.ts';
import { devKeyPath, ensureDevApiKey } from './access/dev-key.ts';

const fail = (message: string): never => {
  process.stderr.write(`first-key: ${message.split('\n')[0]}\n`);
  process.exit(1);
};

const config = (() => {
  try {
    return loadConfig(['DATABASE_URL', 'ASSAY_DATA_DIR']);
  } catch (error) {
    return fail(error instanceof ConfigError ? error.message : String(error));
  }
})();
const databaseUrl =
  config.DATABASE_URL ?? fail('DATABASE_URL is required: API keys live in PostgreSQL (schema access)');

const store = new AccessStore(databaseUrl, 1);
try {
  await store.migrate();
  const { key, created } = await ensureDevApiKey(store, config.ASSAY_DATA_DIR);
  const path = devKeyPath(config.ASSAY_DATA_DIR);
  process.stdout.write(created ? `API key: ${key} (shown once; kept in ${path})\n` : `API key: in ${path}\n`);
} catch (error) {
  process.stderr.write(`first-key: no API key: ${(error as Error).message.split('\n')[0]}\n`);
  process.exitCode = 1;
} finally {
  await store.close().catch(() => undefined);
}
