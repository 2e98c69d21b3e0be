// assay spool list [--service NAME] [--records]     (npm run spool -- … is an alias)
// assay spool replay --service NAME [--dry-run]
//
// The durable write spools by hand. `list` reads them without a lock (safe while services run).
// `replay` drains one service's spool into the database now, exactly as its background replayer
// would (idempotently, oldest first, each segment removed only after every record in it is
// verified); it takes the spool's lock, so it refuses while that service is running. With
// `--dry-run` it says what it would replay and which writes it does not know, and writes nothing.
import { parseArgs } from 'node:util';
import { loadConfig, PgPubSub } from '@assay/kit';
import {
  ConfigError,
  createLogger,
  Health,
  loadPersistenceConfig,
  migrate,
  openPersistence,
  Spool,
  type SpoolRecord,
  SUBGRAPHS,
  type SubgraphName,
  spoolDir,
} from '@assay/kit/operations';
import { startEmbeddedDatabase } from './embedded-database.ts';
import { buildOffline, serviceModule } from './services.ts';

const USAGE = `usage: assay spool list [--service NAME] [--records]
       assay spool replay --service NAME [--dry-run]
services: ${SUBGRAPHS.map((s) => s.name).join(', ')}`;

const say = (line: string) => process.stdout.write(`${line}\n`);
const fail = (message: string): never => {
  process.stderr.write(`spool: ${message}\n${USAGE}\n`);
  process.exit(2);
};

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        service: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        records: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
const command = positionals[0];
const known = SUBGRAPHS.map((s) => s.name) as string[];
if (values.service && !known.includes(values.service)) fail(`unknown service ${values.service}`);
let config: ReturnType<typeof loadPersistenceConfig>;
try {
  config = loadPersistenceConfig();
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const log = createLogger('spool', process.env.LOG_LEVEL ?? 'warn');

function summarise(service: string, records: SpoolRecord[], skipped: number, segments: number) {
  if (records.length === 0 && skipped === 0) return say(`${service}: empty`);
  say(
    `${service}: ${records.length} records in ${segments} segments${skipped ? `, ${skipped} torn (skipped)` : ''}`,
  );
  const byWrite = new Map<string, SpoolRecord[]>();
  for (const r of records) byWrite.set(r.write, [...(byWrite.get(r.write) ?? []), r]);
  for (const [write, rs] of byWrite)
    say(
      `  ${write}: ${rs.length} (oldest ${rs[0]!.spooledAt}, reasons ${[...new Set(rs.map((r) => r.reason))].join(', ')})`,
    );
  // Keys and ids only: payloads may hold what the product is paid to keep private.
  if (values.records)
    for (const r of records) say(`  ${r.id}  ${r.write}  ${r.key}  ${r.spooledAt}  ${r.reason}`);
}

/** Reads a service's spool without taking it, says what is in it, and returns its records. */
async function inspect(service: string): Promise<SpoolRecord[]> {
  const spool = new Spool(spoolDir(config.ASSAY_DATA_DIR, service), log);
  const segments = await spool.inspect();
  const records = segments.flatMap((s) => s.records);
  summarise(
    service,
    records,
    segments.reduce((n, s) => n + s.skipped, 0),
    segments.length,
  );
  // Set aside by the replayer: never replayed, for a person to look at (keys only, as above).
  const quarantined = await spool.quarantined().catch(() => []);
  if (quarantined.length > 0) say(`  quarantined (not replayed; see quarantine.log): ${quarantined.length}`);
  if (values.records)
    for (const r of quarantined)
      say(`  quarantined ${r.id}  ${r.write}  ${r.key}  ${r.spooledAt}  ${r.reason}`);
  return records;
}

async function list(services: string[]) {
  for (const service of services) await inspect(service);
}

async function replay(service: SubgraphName, dryRun: boolean) {
  const records = await inspect(service);
  if (records.length === 0) return;
  const { writer } = await buildOffline(service);
  const unknown = [...new Set(records.map((r) => r.write))].filter((w) => !writer.knows(w));
  if (unknown.length > 0)
    say(`  not registered by ${service} (would be dead-lettered): ${unknown.join(', ')}`);
  if (dryRun) return say(`dry run: would replay ${records.length} records; nothing written`);

  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedDatabase({ dataDir: config.ASSAY_DATA_DIR, port: embeddedPort(), say });
  const module = await serviceModule(service);
  const url = config.DATABASE_URL ?? embedded!.url;
  const persistence = await openPersistence(module, { ...config, DATABASE_URL: url }, log);
  const pubSub = new PgPubSub({ connectionString: url, log }); // the app is built, never started
  try {
    // Building the app registers the service's writes with this writer.
    await module.createApp({ ...persistence, log, health: new Health(), env: process.env, pubSub });
    await migrate(persistence.orm);
    const pass = await persistence.replayer.drain();
    say(
      `replayed ${pass.replayed}; ${persistence.spool.depth} left${pass.interrupted ? ' (database unavailable: run again)' : ''}`,
    );
    if (pass.interrupted) process.exitCode = 1;
  } finally {
    await pubSub.close();
    await persistence.spool.close();
    await persistence.orm.close(true);
    await embedded?.server.stop();
  }
}

function embeddedPort(): number {
  return loadConfig(['ASSAY_EMBEDDED_PG_PORT']).ASSAY_EMBEDDED_PG_PORT;
}

try {
  if (command === 'list') await list(values.service ? [values.service] : known);
  else if (command === 'replay') {
    if (!values.service) fail('replay needs --service');
    await replay(values.service as SubgraphName, values['dry-run']);
  } else fail(command ? `unknown command ${command}` : 'no command');
} catch (error) {
  process.stderr.write(`spool: ${(error as Error).message}\n`);
  process.exit(1);
}
