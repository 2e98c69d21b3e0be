// npm run failures:synth -- [--count N] [--seed S] [--rate R]
//
// Sends realistic synthetic failures (about 70% with catalogued codes, the rest unknown; messages
// with ids and numbers that group together) through the real intake path: into the scoring and
// review failure outboxes, which the running failure catalog takes. For load tests, demos and
// dashboards. The same seed sends the same failures, which the catalog stores once.
// Needs a running Assay: DATABASE_URL, or the embedded PostgreSQL `npm start` runs.
import { parseArgs } from 'node:util';
import { loadConfig } from '@assay/kit';
import { ConfigError, EmbeddedPostgres } from '@assay/kit/operations';
import pg from 'pg';
import {
  type SyntheticFailure,
  sendToOutboxes,
  syntheticFailures,
} from '../services/failure-catalog/src/synthetic/synthetic-failures.ts';

const USAGE =
  'usage: npm run failures:synth -- [--count N (1000)] [--seed S (1)] [--rate R failures/s (unlimited)]';
const fail = (message: string): never => {
  process.stderr.write(`failures:synth: ${message}\n${USAGE}\n`);
  process.exit(2);
};

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        count: { type: 'string', default: '1000' },
        seed: { type: 'string', default: '1' },
        rate: { type: 'string' },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
const whole = (name: string, text: string, max: number) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) fail(`--${name} must be a whole number from 1 to ${max}`);
  return n;
};
const count = whole('count', values.count, 1_000_000);
const seed = whole('seed', values.seed, 2 ** 31);
const rate = values.rate === undefined ? undefined : whole('rate', values.rate, 100_000);

let url: string;
try {
  const config = loadConfig(['DATABASE_URL', 'ASSAY_DATA_DIR', 'ASSAY_EMBEDDED_PG_PORT']);
  url =
    config.DATABASE_URL ??
    new EmbeddedPostgres({
      dataDir: `${config.ASSAY_DATA_DIR}/pg`,
      port: config.ASSAY_EMBEDDED_PG_PORT,
    }).url.replace(/\/postgres$/, '/assay');
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const client = new pg.Client({ connectionString: url!, connectionTimeoutMillis: 3000 });
try {
  await client.connect();
} catch (error) {
  fail(
    `cannot reach PostgreSQL (${(error as Error).message}): start Assay first (npm start) or set DATABASE_URL`,
  );
}

const started = performance.now();
const batchSize = Math.min(500, rate ?? 500);
let batch: SyntheticFailure[] = [];
let sent = 0;
let known = 0;
const send = async () => {
  await sendToOutboxes(client, batch);
  sent += batch.length;
  batch = [];
  // Paced: the next batch waits until the rate allows it.
  if (rate) {
    const due = (sent / rate) * 1000 - (performance.now() - started);
    if (due > 0) await new Promise((r) => setTimeout(r, due));
  }
};
try {
  const catalogued = new Set(
    (
      await client.query<{ error_code: string }>('select error_code from failure_catalog.catalog_entry')
    ).rows.map((r) => r.error_code),
  );
  for (const failure of syntheticFailures(count, seed)) {
    if (catalogued.has(failure.errorCode)) known++;
    batch.push(failure);
    if (batch.length >= batchSize) await send();
  }
  if (batch.length > 0) await send();
} catch (error) {
  const message = (error as Error).message;
  fail(/does not exist/.test(message) ? `${message}: has Assay started once on this database?` : message);
} finally {
  await client.end();
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `sent ${sent} failures (seed ${seed}; ${known} with catalogued codes, ${sent - known} unknown) to the scoring and review outboxes in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s); the failure catalog takes them from there\n`,
);
