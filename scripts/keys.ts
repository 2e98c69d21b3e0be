// npm run keys -- create --tenant T --scopes read,write [--name N] [--expires-in-days D] [--json]
// npm run keys -- list [--tenant T] [--json]
// npm run keys -- revoke <prefix|id>
//
// API keys for machines (CI, the CLI), managed by an operator with database access. A new key is
// printed once, on stdout, and only its SHA-256 is stored. Works while the system runs: without
// DATABASE_URL it uses the embedded PostgreSQL `npm start` runs (or starts it for the command).
import { parseArgs } from 'node:util';
import { loadConfig } from '@assay/kit';
import { TENANT_PATTERN } from '@assay/kit/auth';
import { ConfigError, EmbeddedPostgres } from '@assay/kit/operations';
import pg from 'pg';
import { AccessStore, type ApiKeyRecord } from '../services/gateway/src/access/access-store.ts';
import { apiKeyView, validateNewKey } from '../services/gateway/src/access/key-admin.ts';
import { startEmbeddedDatabase } from './embedded-database.ts';

const USAGE = `usage: npm run keys -- create --tenant T --scopes read,write[,admin] [--name N] [--expires-in-days D] [--json]
       npm run keys -- list [--tenant T] [--json]
       npm run keys -- revoke <prefix|id>`;

const fail = (message: string): never => {
  process.stderr.write(`keys: ${message}\n${USAGE}\n`);
  process.exit(2);
};

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        scopes: { type: 'string' },
        name: { type: 'string' },
        'expires-in-days': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

let config: ReturnType<typeof load>;
function load() {
  return loadConfig(['DATABASE_URL', 'ASSAY_DATA_DIR', 'ASSAY_EMBEDDED_PG_PORT']);
}
try {
  config = load();
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}

const OPERATOR = { tenant: 'default', subject: `operator:${process.env.USER ?? 'unknown'}` };

/** The database: DATABASE_URL, the embedded server `npm start` is running, or one started for this command. */
async function database(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => {} };
  const running = new EmbeddedPostgres({
    dataDir: `${config.ASSAY_DATA_DIR}/pg`,
    port: config.ASSAY_EMBEDDED_PG_PORT,
  });
  const url = running.url.replace(/\/postgres$/, '/assay');
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await probe.connect();
    await probe.end();
    return { url, stop: async () => {} };
  } catch {
    await probe.end().catch(() => undefined);
    const say = (line: string) => process.stderr.write(`keys: ${line}\n`);
    const embedded = await startEmbeddedDatabase({
      dataDir: config.ASSAY_DATA_DIR,
      port: config.ASSAY_EMBEDDED_PG_PORT,
      say,
    });
    return { url: embedded.url, stop: () => embedded.server.stop() };
  }
}

const row = (record: ApiKeyRecord) => ({ ...apiKeyView(record), tenant: record.tenant });

function state(record: ApiKeyRecord): string {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && record.expiresAt.getTime() <= Date.now()) return 'expired';
  return 'active';
}

async function run(store: AccessStore): Promise<void> {
  const command = positionals[0];
  if (command === 'create') {
    if (!values.tenant || !TENANT_PATTERN.test(values.tenant)) {
      fail('--tenant is required: lowercase letters, digits, - and _, at most 63 characters');
    }
    if (!values.scopes) fail('--scopes is required, e.g. --scopes read,write');
    const days = values['expires-in-days'];
    let input: ReturnType<typeof validateNewKey>;
    try {
      input = validateNewKey({
        name: values.name ?? `key for ${values.tenant}`,
        scopes: values.scopes!.split(',').map((s) => s.trim()),
        expiresInDays: days === undefined ? null : Number(days),
      });
    } catch (error) {
      return fail((error as Error).message);
    }
    const { key, record } = await store.create({ tenant: values.tenant!, ...input }, OPERATOR);
    if (values.json) process.stdout.write(`${JSON.stringify({ key, ...row(record) })}\n`);
    else {
      process.stdout.write(`${key}\n`);
      process.stderr.write(
        `keys: created ${record.prefix} for tenant ${record.tenant} (${record.scopes.join(',')}); this is the only time the key is shown\n`,
      );
    }
  } else if (command === 'list') {
    if (values.tenant && !TENANT_PATTERN.test(values.tenant)) fail('--tenant is not a tenant id');
    const records = await store.list(values.tenant);
    if (values.json) return void process.stdout.write(`${JSON.stringify(records.map(row))}\n`);
    for (const r of records) {
      process.stdout.write(
        `${r.prefix}  ${state(r).padEnd(7)}  ${r.tenant.padEnd(12)}  ${r.scopes.join(',').padEnd(16)}  ${r.name}  (last used ${r.lastUsedAt?.toISOString() ?? 'never'})\n`,
      );
    }
    if (records.length === 0) process.stderr.write('keys: none\n');
  } else if (command === 'revoke') {
    const target = positionals[1];
    if (!target) fail('revoke needs the key prefix or id');
    const record = await store.revoke(target!, OPERATOR);
    if (!record) {
      process.stderr.write(`keys: no key ${target}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(
      `keys: revoked ${record.prefix} (tenant ${record.tenant}); gateways stop accepting it within ASSAY_API_KEY_CACHE_MS\n`,
    );
  } else fail(command ? `unknown command ${command}` : 'no command');
}

const db = await database();
const store = new AccessStore(db.url, 1);
try {
  await store.migrate();
  await run(store);
} finally {
  await store.close();
  await db.stop();
}
