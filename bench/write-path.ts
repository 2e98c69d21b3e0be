// The reliable write path against a plain MikroORM flush of the same rows, at the same
// concurrency, on one embedded PostgreSQL (or DATABASE_URL); then the spool: how fast writes are
// accepted while the database is away, and how long 10,000 spooled records take to drain.
//   npm run bench -- write-path [--writes 5000] [--concurrency 32] [--spooled 10000]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { contentHash } from '@assay/kit';
import { FaultDb, openHarness, SCHEMA } from '../services/kit/test/support/fault-db.ts';
import { Note, type NotePayload, noteWrite } from '../services/kit/test/support/note-write.ts';
import { describe, measure, percentile, rate, record } from './stats.ts';

const { values } = parseArgs({
  options: {
    writes: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    spooled: { type: 'string', default: '10000' },
  },
});
const WRITES = Number(values.writes);
const CONCURRENCY = Number(values.concurrency);
const SPOOLED = Number(values.spooled);

const payload = (prefix: string, i: number): NotePayload => ({
  key: `${prefix}-${i}`,
  body: { pr: i, repository: 'acme/widgets', score: (i % 100) / 10, criteria: [{ name: 'size', score: 7 }] },
});

const db = await FaultDb.start();
const dir = await mkdtemp(join(tmpdir(), 'assay-bench-'));
const h = await openHarness({
  url: db.url,
  spoolDir: join(dir, 'spool'),
  policy: { breakerHalfOpenMs: 1000 },
});
try {
  console.log(
    `write path: ${WRITES} writes, concurrency ${CONCURRENCY}, PostgreSQL on 127.0.0.1 (embedded)\n`,
  );
  // Warm both paths (pool, JIT, statement plans) before measuring.
  await measure('warm-up', 500, CONCURRENCY, (i) => h.writer.persist(noteWrite, payload('warm', i)));

  const plain = await measure('plain MikroORM flush', WRITES, CONCURRENCY, async (i) => {
    const em = h.orm.em.fork();
    const p = payload('plain', i);
    em.create(Note, { key: p.key, body: p.body, contentHash: contentHash({ key: p.key, body: p.body }) });
    await em.flush();
  });
  const reliable = await measure('reliable (tx + read-back + verify)', WRITES, CONCURRENCY, async (i) => {
    const result = await h.writer.persist(noteWrite, payload('reliable', i));
    if (result.status !== 'SAVED') throw new Error(`write ${i} was ${result.status}`);
  });
  console.log(describe(plain));
  console.log(describe(reliable));
  console.log(`reliable / plain throughput: ${(rate(reliable) / rate(plain)).toFixed(2)}\n`);
  record('write-path: plain flush', rate(plain), 'writes/s', 'higher');
  record('write-path: reliable write', rate(reliable), 'writes/s', 'higher');
  record('write-path: reliable ÷ plain', rate(reliable) / rate(plain), '×', 'higher');
  record('write-path: reliable p99', percentile(reliable.latenciesMs, 99), 'ms', 'lower');

  // The database away: the breaker isolated, so every write goes straight to the fsynced spool.
  const isolation = h.writer.policy.breaker.isolate();
  const spooling = await measure('spooled (database away)', SPOOLED, CONCURRENCY, async (i) => {
    const result = await h.writer.persist(noteWrite, payload('spooled', i));
    if (result.status !== 'SPOOLED') throw new Error(`write ${i} was ${result.status}`);
  });
  isolation.dispose();
  console.log(describe(spooling));
  record('write-path: spooled (database away)', rate(spooling), 'writes/s', 'higher');

  const started = performance.now();
  while (h.spool.depth > 0) await h.replayer.drain();
  const drainSeconds = (performance.now() - started) / 1000;
  const rows = await db.query<{ n: number }>(
    `select count(*)::int as n from "${SCHEMA}"."note" where key like 'spooled-%'`,
  );
  const n = rows[0]?.n;
  if (n !== SPOOLED) throw new Error(`drained ${n} of ${SPOOLED}`);
  console.log(
    `${'drain of the spool'.padEnd(34)} ${(SPOOLED / drainSeconds).toFixed(0).padStart(7)} /s   ${SPOOLED} records in ${drainSeconds.toFixed(2)} s`,
  );
  record('write-path: spool drain', SPOOLED / drainSeconds, 'records/s', 'higher');
} finally {
  await h.close();
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
}
