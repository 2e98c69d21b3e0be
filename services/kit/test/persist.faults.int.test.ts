import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { contentHash } from '../src/persistence/content-hash.ts';
import type { PersistResult } from '../src/persistence/reliable-writer.ts';
import { CircuitState } from '../src/persistence/write-policy.ts';
import { PgFaultProxy } from '../src/testing/pg-fault-proxy.ts';
import { runScript } from '../src/testing/processes.ts';
import { FaultDb, type Harness, openHarness, SCHEMA, storedNotes } from './support/fault-db.ts';
import { type Note, type NotePayload, noteWrite } from './support/note-write.ts';

// The reliable write path against a PostgreSQL this file owns and really stops, kills and cuts.

let db: FaultDb;
before(async () => {
  db = await FaultDb.start();
});
after(async () => {
  await db?.destroy();
});

const spoolDir = () => mkdtemp(join(tmpdir(), 'assay-spool-'));

async function emptyTables(): Promise<void> {
  await db
    .query(`truncate "${SCHEMA}"."note", "${SCHEMA}"."dead_letter"`)
    .catch((error: { code?: string }) => {
      if (error.code !== '3F000' && error.code !== '42P01') throw error; // not migrated yet
    });
}

function notes(prefix: string, count: number): NotePayload[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `${prefix}-${String(i).padStart(4, '0')}`,
    body: { n: i, text: `note ${i}`, tags: ['a', i % 2 ? 'odd' : 'even'] },
  }));
}

/** Runs writes with at most `limit` in flight, as concurrent requests would. */
async function persistAll(
  h: Harness,
  payloads: NotePayload[],
  limit: number,
): Promise<PersistResult<Note>[]> {
  const results: PersistResult<Note>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < payloads.length) {
        const i = next++;
        results[i] = await h.writer.persist(noteWrite, payloads[i]!);
      }
    }),
  );
  return results;
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Exactly the expected notes, each once, each hash the hash of what is stored; spool empty. */
async function assertExactlyStored(h: Harness, payloads: NotePayload[]) {
  const rows = await storedNotes(db);
  assert.deepEqual(
    rows.map((r) => r.key),
    payloads.map((p) => p.key).sort(),
  );
  const byKey = new Map(payloads.map((p) => [p.key, p]));
  for (const row of rows) {
    assert.deepEqual(row.body, byKey.get(row.key)!.body);
    assert.equal(row.content_hash, contentHash({ key: row.key, body: row.body }), `hash of ${row.key}`);
  }
  assert.equal(h.spool.depth, 0, 'spool drained');
  const letters = await db.query(`select count(*)::int as n from "${SCHEMA}"."dead_letter"`);
  assert.equal(letters[0]!.n, 0, 'no dead letters');
}

async function settle(h: Harness) {
  h.replayer.start();
  await waitUntil('the spool is drained', () => h.spool.depth === 0, 60_000).catch((error) => {
    // What the writer last said is what explains a spool that does not drain.
    const recent = h.logs.filter((l) => l.msg !== 'write retried').slice(-10);
    console.error({ depth: h.spool.depth, breaker: h.writer.policy.state, recent });
    throw error;
  });
  await h.replayer.stop();
}

describe('reliable write path under real database faults', { timeout: 180_000 }, () => {
  test('the database stopped in the middle of 500 concurrent writes and started 5 s later: exactly 500 verified rows', async () => {
    await emptyTables();
    const h = await openHarness({ url: db.url, spoolDir: await spoolDir() });
    try {
      const payloads = notes('stop', 500);
      const writing = persistAll(h, payloads, 50);
      await waitUntil('100 rows are stored', async () => (await storedNotes(db)).length >= 100);
      await db.server.stop();
      const restarted = sleep(5000).then(() => db.server.start());
      const results = await writing;
      await restarted;

      const statuses = new Set(results.map((r) => r.status));
      assert.ok(!statuses.has('DEAD_LETTERED'), 'a stopped database is never a permanent failure');
      assert.ok(
        results.some((r) => r.status === 'SPOOLED'),
        'some writes met the stopped database',
      );
      assert.ok(results.some((r) => r.status === 'SAVED'));
      await settle(h);
      await assertExactlyStored(h, payloads);
    } finally {
      await h.close();
    }
  });

  test('connections terminated again and again during 500 writes: the same result', async () => {
    await emptyTables();
    const h = await openHarness({ url: db.url, spoolDir: await spoolDir() });
    try {
      const payloads = notes('term', 500);
      let terminated = 0;
      let writing = true;
      const killer = (async () => {
        while (writing) {
          terminated += await db.terminateBackends();
          await sleep(25);
        }
      })();
      const results = await persistAll(h, payloads, 50);
      writing = false;
      await killer;

      assert.ok(terminated > 0, 'connections were terminated');
      assert.ok(!results.some((r) => r.status === 'DEAD_LETTERED'));
      await settle(h);
      await assertExactlyStored(h, payloads);
    } finally {
      await h.close();
    }
  });

  test('a burst far beyond the pool, with the database healthy: every write saved, none spooled', async () => {
    await emptyTables();
    // A small pool and a short wait for a free connection: without a bound on concurrent writes,
    // most of the burst would time out waiting for the pool, trip the breaker and be spooled.
    const h = await openHarness({
      url: db.url,
      spoolDir: await spoolDir(),
      poolMax: 3,
      connectTimeoutMs: 100,
      policy: { concurrency: 2 },
    });
    try {
      const payloads = notes('burst', 600);
      const results = await Promise.all(payloads.map((p) => h.writer.persist(noteWrite, p)));
      const statuses = results.map((r) => r.status);
      assert.deepEqual(
        [...new Set(statuses)],
        ['SAVED'],
        `${statuses.filter((s) => s !== 'SAVED').length} not saved`,
      );
      assert.equal(h.spool.depth, 0);
      assert.equal(h.writer.policy.state, CircuitState.Closed);
      await assertExactlyStored(h, payloads);
    } finally {
      await h.close();
    }
  });

  test('a spooled write, once replayed and verified, is handed to its listeners with the stored row', async () => {
    await emptyTables();
    const h = await openHarness({ url: db.url, spoolDir: await spoolDir() });
    try {
      const heard: { key: string; stored: string }[] = [];
      h.writer.onReplayed(noteWrite, (payload, note) => {
        heard.push({ key: payload.key, stored: note.key });
      });
      const isolation = h.writer.policy.breaker.isolate(); // the database "away": writes spool at once
      const payloads = notes('heard', 3);
      for (const p of payloads) assert.equal((await h.writer.persist(noteWrite, p)).status, 'SPOOLED');
      assert.equal(heard.length, 0, 'nothing is announced while it is only on disk');
      isolation.dispose();
      await h.replayer.drain();
      // Started oldest first, several at a time: heard in the order they finish.
      assert.deepEqual(
        heard.sort((a, b) => a.key.localeCompare(b.key)),
        payloads.map((p) => ({ key: p.key, stored: p.key })),
        'each replayed write, once',
      );
      await assertExactlyStored(h, payloads);
    } finally {
      await h.close();
    }
  });

  test('a COMMIT whose acknowledgement is lost is retried into the stored row, not a duplicate', async () => {
    await emptyTables();
    const proxy = await PgFaultProxy.start({ host: '127.0.0.1', port: db.port });
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const h = await openHarness({ url: url.toString(), spoolDir: await spoolDir() });
    try {
      proxy.loseNextCommitAcks(1);
      const [payload] = notes('ack', 1);
      const result = await h.writer.persist(noteWrite, payload!);
      assert.equal(proxy.lostAcks, 1, 'the commit acknowledgement was really lost');
      assert.equal(result.status, 'SAVED');
      await assertExactlyStored(h, [payload!]);
      assert.ok(
        h.logs.some((l) => l.msg === 'write retried'),
        'the write was attempted again after the lost acknowledgement',
      );
    } finally {
      await h.close();
      await proxy.close();
    }
  });

  test('a permanent error is not retried and lands in the dead letters with its payload', async () => {
    await emptyTables();
    const h = await openHarness({ url: db.url, spoolDir: await spoolDir() });
    try {
      const bad: NotePayload = { key: 'bad-0001', body: ['not', 'an', 'object'] };
      const result = await h.writer.persist(noteWrite, bad);
      assert.equal(result.status, 'DEAD_LETTERED');
      assert.equal(result.status === 'DEAD_LETTERED' && result.error.reason, '23514');
      assert.ok(!h.logs.some((l) => l.msg === 'write retried'), 'not retried');
      const letters = await db.query(
        `select write, idempotency_key, payload, error_class, error_code, error_message, retry_count, status
           from "${SCHEMA}"."dead_letter"`,
      );
      assert.equal(letters.length, 1);
      assert.deepEqual(letters[0], {
        write: 'test.note',
        idempotency_key: 'bad-0001',
        payload: bad,
        error_class: 'permanent',
        error_code: '23514',
        error_message: letters[0]!.error_message,
        retry_count: 0,
        status: 'PENDING',
      });
      assert.match(letters[0]!.error_message as string, /check constraint/);
      assert.doesNotMatch(
        letters[0]!.error_message as string,
        /not.*an.*object/,
        'no payload in the message',
      );
      assert.equal((await storedNotes(db)).length, 0);
    } finally {
      await h.close();
    }
  });

  test('the breaker opens after N consecutive failures, spools at once, half-opens and closes when the database is back', async () => {
    await emptyTables();
    const h = await openHarness({
      url: db.url,
      spoolDir: await spoolDir(),
      policy: { breakerThreshold: 3, retries: 6, breakerHalfOpenMs: 300 },
    });
    const transitions: string[] = [];
    h.writer.policy.breaker.onBreak(() => transitions.push('open'));
    h.writer.policy.breaker.onHalfOpen(() => transitions.push('half_open'));
    h.writer.policy.breaker.onReset(() => transitions.push('closed'));
    try {
      await h.orm.em.getConnection().execute('select 1'); // pool warm, then the server goes away
      await db.server.stop();
      const payloads = notes('breaker', 4);
      const first = await h.writer.persist(noteWrite, payloads[0]!);
      assert.deepEqual(transitions, ['open'], 'three failures opened it');
      assert.equal(first.status === 'SPOOLED' && first.reason, 'BREAKER_OPEN');
      assert.equal(h.writer.policy.state, CircuitState.Open);

      // While open, a write is refused by the breaker without an attempt: no new failure is logged.
      const failuresBefore = h.logs.filter((l) => l.msg === 'write retried').length;
      const second = await h.writer.persist(noteWrite, payloads[1]!);
      assert.equal(second.status === 'SPOOLED' && second.reason, 'BREAKER_OPEN');
      assert.equal(h.logs.filter((l) => l.msg === 'write retried').length, failuresBefore);

      await db.server.start();
      await sleep(350);
      const third = await h.writer.persist(noteWrite, payloads[2]!);
      assert.equal(third.status, 'SAVED');
      assert.deepEqual(transitions, ['open', 'half_open', 'closed']);
      assert.equal(h.writer.policy.state, CircuitState.Closed);

      const fourth = await h.writer.persist(noteWrite, payloads[3]!);
      assert.equal(fourth.status, 'SAVED');
      await settle(h);
      await assertExactlyStored(h, payloads);
    } finally {
      await h.close();
    }
  });

  test('a torn spool record is skipped with a log and the rest replays', async () => {
    await emptyTables();
    const dir = await spoolDir();
    const payloads = notes('torn', 30);
    const first = await openHarness({ url: db.url, spoolDir: dir });
    for (const [i, p] of payloads.entries())
      await first.spool.append({
        id: `r${i}`,
        write: 'test.note',
        key: p.key,
        payload: p,
        spooledAt: '',
        reason: 'TEST',
      });
    await first.close();
    // A crash mid-append: half a record at the end of the last segment.
    const { appendFile, readdir } = await import('node:fs/promises');
    const segments = (await readdir(dir)).filter((n) => n.startsWith('segment-')).sort();
    await appendFile(join(dir, segments.at(-1)!), '0badc0de {"id":"torn","write":"test.no');

    const h = await openHarness({ url: db.url, spoolDir: dir });
    try {
      await settle(h);
      await assertExactlyStored(h, payloads);
      const warning = h.logs.find((l) => l.msg === 'skipped torn or corrupt spool records');
      assert.ok(warning, 'the torn record was logged');
      assert.equal(warning.skipped, 1);
    } finally {
      await h.close();
    }
  });

  test('the process killed with SIGKILL while spooling: every acknowledged write is stored once after restart', async () => {
    await emptyTables();
    const dir = await spoolDir();
    await db.server.stop();
    const child = runScript('services/kit/test/support/writer-process.ts', {
      DB_URL: db.url,
      SPOOL_DIR: dir,
      MODE: 'write',
      PREFIX: 'spooling',
      COUNT: '5000',
    });
    await child.waitFor(/ready/);
    await waitUntil('200 writes are spooled', () => (child.output().match(/^ack /gm)?.length ?? 0) >= 200);
    child.child.kill('SIGKILL');
    await child.exited;
    assert.doesNotMatch(child.output(), /finished/, 'killed mid-way');
    const acked = [...child.output().matchAll(/^ack (\S+) (\w+)$/gm)];
    assert.ok(acked.every(([, , status]) => status === 'SPOOLED'));

    await db.server.start();
    const h = await openHarness({ url: db.url, spoolDir: dir });
    try {
      await settle(h);
      const rows = await storedNotes(db);
      const stored = new Set(rows.map((r) => r.key));
      assert.equal(stored.size, rows.length, 'no key twice');
      for (const [, key] of acked) assert.ok(stored.has(key!), `acknowledged ${key} is stored`);
      for (const row of rows) {
        assert.deepEqual(row.body, { key: row.key });
        assert.equal(row.content_hash, contentHash({ key: row.key, body: row.body }));
      }
    } finally {
      await h.close();
    }
  });

  test('the process killed with SIGKILL while replaying: after restart every record is stored exactly once', async () => {
    await emptyTables();
    const dir = await spoolDir();
    const payloads = Array.from({ length: 5000 }, (_, i) => {
      const key = `replaying-${String(i).padStart(5, '0')}`;
      return { key, body: { key } };
    });
    const filler = await openHarness({ url: db.url, spoolDir: dir });
    await Promise.all(
      payloads.map((p, i) =>
        filler.spool.append({
          id: `r${i}`,
          write: 'test.note',
          key: p.key,
          payload: p,
          spooledAt: '',
          reason: 'TEST',
        }),
      ),
    );
    await filler.close();

    const child = runScript('services/kit/test/support/writer-process.ts', {
      DB_URL: db.url,
      SPOOL_DIR: dir,
      MODE: 'replay',
    });
    await child.waitFor(/ready/);
    await waitUntil('the replay is under way', async () => (await storedNotes(db)).length >= 200);
    child.child.kill('SIGKILL');
    await child.exited;
    const atKill = (await storedNotes(db)).length;
    assert.ok(atKill < payloads.length, `killed mid-replay (${atKill} stored)`);

    const h = await openHarness({ url: db.url, spoolDir: dir });
    try {
      await settle(h);
      await assertExactlyStored(h, payloads);
    } finally {
      await h.close();
    }
  });
});
