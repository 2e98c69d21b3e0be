import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createLogger } from '../src/logging/logger.ts';
import { contentHash } from '../src/persistence/content-hash.ts';
import type { WriteDefinition } from '../src/persistence/reliable-writer.ts';
import { Spool, type SpoolRecord } from '../src/persistence/spool.ts';
import { CircuitState } from '../src/persistence/write-policy.ts';
import { FaultDb, type Harness, openHarness, SCHEMA, storedNotes } from './support/fault-db.ts';
import { type NotePayload, noteWrite } from './support/note-write.ts';

// The write path's loss windows (issue 9): each test here failed on 0e3943f.

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

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

const deadLetters = () =>
  db.query<{ idempotency_key: string; error_code: string; payload: unknown }>(
    `select idempotency_key, error_code, payload from "${SCHEMA}"."dead_letter" order by idempotency_key`,
  );

function watchBreaker(h: Harness): { opened: number } {
  const seen = { opened: 0 };
  h.writer.policy.breaker.onBreak(() => seen.opened++);
  return seen;
}

const record = (write: string, key: string, payload: unknown, order?: string): SpoolRecord => ({
  id: randomUUID(),
  write,
  key,
  ...(order ? { order } : {}),
  payload,
  spooledAt: new Date().toISOString(),
  reason: 'ECONNREFUSED',
});

interface Step {
  key: string;
  step: number;
  delayMs: number;
}

/**
 * A guarded step, like a run's transitions: step n applies only on top of step n - 1. The first
 * one can be made slow, so replaying the steps side by side would reorder them.
 */
const stepWrite: WriteDefinition<Step, { applied: boolean }> = {
  name: 'test.note.step',
  key: (p) => `${p.key}:${p.step}`,
  tenant: () => ({ tenantId: 'default' }),
  orderKey: (p) => p.key,
  content: (p) => ({ key: p.key, step: p.step }),
  async write(em, p) {
    await em.execute('select pg_sleep(?)', [p.delayMs / 1000]);
    await em.execute(
      `update "${SCHEMA}"."note" set body = jsonb_build_object('step', ?::int) where key = ? and (body->>'step')::int = ?`,
      [p.step, p.key, p.step - 1],
    );
  },
  async readBack(em, p) {
    const [row] = await em.execute<{ step: number }[]>(
      `select (body->>'step')::int as step from "${SCHEMA}"."note" where key = ?`,
      [p.key],
    );
    const content = { key: p.key, step: p.step };
    return { result: { applied: row?.step === p.step }, content, hash: contentHash(content) };
  },
};

async function stepOf(key: string): Promise<number> {
  const [row] = await db.query<{ step: number }>(
    `select (body->>'step')::int as step from "${SCHEMA}"."note" where key = $1`,
    [key],
  );
  return row!.step;
}

describe('write-path loss windows', { timeout: 120_000 }, () => {
  test("one key's spooled writes replay in order even when the first is slow", async () => {
    await emptyTables();
    const dir = await spoolDir();
    const spool = new Spool(dir, createLogger('spool-test', 'silent'));
    await spool.open();
    for (const key of ['run-a', 'run-b']) {
      await spool.append(record('test.note.step', `${key}:1`, { key, step: 1, delayMs: 400 }, key));
      await spool.append(record('test.note.step', `${key}:2`, { key, step: 2, delayMs: 0 }, key));
      await spool.append(record('test.note.step', `${key}:3`, { key, step: 3, delayMs: 0 }, key));
    }
    await spool.close();
    const h = await openHarness({ url: db.url, spoolDir: dir });
    h.writer.register(stepWrite);
    try {
      for (const key of ['run-a', 'run-b'])
        await db.query(
          `insert into "${SCHEMA}"."note" (id, key, body, content_hash, created_at)
          values (gen_random_uuid(), $1, '{"step": 0}', '', now())`,
          [key],
        );
      await h.replayer.drain();
      assert.equal(h.spool.depth, 0);
      assert.deepEqual(
        [await stepOf('run-a'), await stepOf('run-b')],
        [3, 3],
        'every step applied, in order',
      );
    } finally {
      await h.close();
    }
  });

  test('a write never overtakes an earlier one of its order key that is still spooled', async () => {
    await emptyTables();
    const h = await openHarness({ url: db.url, spoolDir: await spoolDir() });
    h.writer.register(stepWrite);
    try {
      await db.query(`insert into "${SCHEMA}"."note" (id, key, body, content_hash, created_at)
        values (gen_random_uuid(), 'run-c', '{"step": 0}', '', now())`);
      await h.spool.append(
        record('test.note.step', 'run-c:1', { key: 'run-c', step: 1, delayMs: 0 }, 'run-c'),
      );
      // The database is fine, but step 1 waits in the spool: step 2 must queue behind it.
      const second = await h.writer.persist(stepWrite, { key: 'run-c', step: 2, delayMs: 0 });
      assert.equal(second.status, 'SPOOLED');
      await h.replayer.drain();
      assert.equal(await stepOf('run-c'), 2);
      assert.equal(h.spool.depth, 0);
      // Once drained, writes of that key go straight to the database again.
      const third = await h.writer.persist(stepWrite, { key: 'run-c', step: 3, delayMs: 0 });
      assert.equal(third.status, 'SAVED');
      assert.equal(await stepOf('run-c'), 3);
    } finally {
      await h.close();
    }
  });

  test('values PostgreSQL refuses by content are dead-lettered at once; the breaker stays closed and every other write is saved', async () => {
    await emptyTables();
    const h = await openHarness({ url: db.url, spoolDir: await spoolDir() });
    const breaker = watchBreaker(h);
    try {
      const poison: NotePayload[] = [
        { key: 'nul-in-text\u0000', body: { n: 1 } }, // text parameter: 08P01 from the server
        { key: 'nul-in-jsonb', body: { text: 'a\u0000b' } }, // jsonb: 22P05
      ];
      const good: NotePayload[] = Array.from({ length: 60 }, (_, i) => ({
        key: `good-${String(i).padStart(3, '0')}`,
        body: { n: i },
      }));
      const results = await Promise.all(
        [...poison, ...poison, ...good].map((p) => h.writer.persist(noteWrite, p)),
      );
      const byKey = (key: string) =>
        results.filter((_, i) => [...poison, ...poison, ...good][i]!.key === key);
      for (const p of poison) {
        for (const r of byKey(p.key)) assert.equal(r.status, 'DEAD_LETTERED', `${JSON.stringify(p.key)}`);
      }
      for (const p of good) assert.equal(byKey(p.key)[0]!.status, 'SAVED', p.key);
      assert.equal(breaker.opened, 0, 'a bad value is not an outage');
      assert.equal(h.writer.policy.state, CircuitState.Closed);
      assert.equal(h.spool.depth, 0, 'nothing spooled');
      const letters = await deadLetters();
      assert.equal(letters.length, 2, 'one dead letter per poisoned write, stored despite its content');
      assert.ok(letters.every((l) => l.error_code === '08P01' || l.error_code === '22P05'));
      // A valid write afterwards is saved at once.
      assert.equal((await h.writer.persist(noteWrite, { key: 'after', body: { n: 0 } })).status, 'SAVED');
    } finally {
      await h.close();
    }
  });

  test('a write whose read-back does not match is not retried as if the database were away', async () => {
    await emptyTables();
    const h = await openHarness({ url: db.url, spoolDir: await spoolDir() });
    const breaker = watchBreaker(h);
    try {
      // A lone surrogate in text is stored as U+FFFD: what is read back can never match what was meant.
      const result = await h.writer.persist(noteWrite, { key: 'surrogate\uD800', body: { n: 1 } });
      assert.equal(result.status, 'DEAD_LETTERED');
      assert.equal(h.spool.depth, 0, 'not spooled: a replay would mismatch again, forever');
      assert.equal(breaker.opened, 0);
      const letters = await deadLetters();
      assert.deepEqual(
        letters.map((l) => [l.idempotency_key, l.error_code]),
        [['surrogate\\ud800', 'VERIFICATION_FAILED']],
      );
    } finally {
      await h.close();
    }
  });

  test('a poisoned spool never blocks the pass: conflicting keys are dead-lettered, unreadable records quarantined, later segments drained', async () => {
    await emptyTables();
    const dir = await spoolDir();
    const log = createLogger('spool-test', 'silent');
    const spool = new Spool(dir, log, { segmentRecords: 3 });
    await spool.open();
    const good = (i: number) => record('test.note', `ok-${i}`, { key: `ok-${i}`, body: { n: i } });
    // Segment 1: the same key spooled twice with different content, between good records.
    await spool.append(good(1));
    await spool.append(record('test.note', 'twice', { key: 'twice', body: { v: 1 } }));
    await spool.append(record('test.note', 'twice', { key: 'twice', body: { v: 2 } }));
    // Segment 2: a record no write can make sense of (its payload lacks what the write reads).
    await spool.append(good(2));
    await spool.append(record('test.note', 'broken', null));
    await spool.append(record('test.note', 'nul', { key: 'nul\u0000', body: {} }));
    // Segment 3: more good records behind them.
    await spool.append(good(3));
    await spool.append(good(4));
    await spool.close();

    const h = await openHarness({ url: db.url, spoolDir: dir });
    try {
      assert.equal(h.spool.depth, 8);
      const pass = await h.replayer.drain();
      assert.equal(pass.interrupted, false);
      assert.equal(h.spool.depth, 0, 'every segment was replayed and removed');
      const stored = (await storedNotes(db)).map((n) => n.key);
      assert.deepEqual(stored, ['ok-1', 'ok-2', 'ok-3', 'ok-4', 'twice']);
      const letters = await deadLetters();
      assert.deepEqual(
        letters.map((l) => [l.idempotency_key, l.error_code]),
        [
          ['nul\u0000'.replace('\u0000', '\\u0000'), '08P01'],
          ['twice', 'IDEMPOTENCY_CONFLICT'],
        ],
      );
      const quarantined = await h.spool.quarantined();
      assert.deepEqual(
        quarantined.map((r) => r.key),
        ['broken'],
      );
    } finally {
      await h.close();
    }
  });

  test('a locked table: writes that time out leave no transaction behind, and none reported SPOOLED commits by itself', async () => {
    await emptyTables();
    const h = await openHarness({
      url: db.url,
      spoolDir: await spoolDir(),
      poolMax: 6,
      policy: { timeoutMs: 1500, retries: 1, concurrency: 4, breakerThreshold: 100 },
    });
    await h.writer.persist(noteWrite, { key: 'warm', body: {} }); // migrated and connected
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query(`lock table "${SCHEMA}"."note" in access exclusive mode`);
      const payloads = Array.from({ length: 12 }, (_, i) => ({ key: `locked-${i}`, body: { i } }));
      const results = await Promise.all(payloads.map((p) => h.writer.persist(noteWrite, p)));
      assert.ok(
        results.every((r) => r.status === 'SPOOLED'),
        results.map((r) => r.status).join(),
      );
      // Every attempt that gave up has ended on the server too: nothing waits on the lock.
      const waiting = await db.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and pid <> $1`,
        [(await locker.query('select pg_backend_pid() as pid')).rows[0].pid],
      );
      assert.equal(waiting[0]!.n, 0, 'abandoned transactions still hold pool connections');
      await locker.query('commit');
      await sleep(1000);
      const rows = await db.query<{ n: number }>(
        `select count(*)::int as n from "${SCHEMA}"."note" where key like 'locked-%'`,
      );
      assert.equal(rows[0]!.n, 0, 'a write reported SPOOLED committed on its own');
      // The pool is whole: the spool drains and a new write is saved.
      h.replayer.start();
      await waitUntil('the spool is drained', () => h.spool.depth === 0);
      assert.equal((await h.writer.persist(noteWrite, { key: 'after-lock', body: {} })).status, 'SAVED');
      const stored = await db.query<{ n: number }>(
        `select count(*)::int as n from "${SCHEMA}"."note" where key like 'locked-%'`,
      );
      assert.equal(stored[0]!.n, 12);
    } finally {
      await locker.end().catch(() => undefined);
      await h.close();
    }
  });

  test('segments created while a replay pass runs are never taken for empty and deleted', async () => {
    await emptyTables();
    // One record per segment, so nearly every append creates a segment while passes run.
    const h = await openHarness({ url: db.url, spoolDir: await spoolDir(), segmentRecords: 1 });
    const spool = h.spool;
    try {
      const keys: string[] = [];
      let appending = true;
      const passes = (async () => {
        while (appending) await h.replayer.drain();
      })();
      for (let i = 0; i < 300; i++) {
        const key = `race-${String(i).padStart(4, '0')}`;
        keys.push(key);
        await spool.append(record('test.note', key, { key, body: { i } }));
      }
      appending = false;
      await passes;
      for (let i = 0; i < 20 && spool.depth > 0; i++) await h.replayer.drain();
      const stored = (await storedNotes(db)).map((n) => n.key).filter((k) => k.startsWith('race-'));
      assert.equal(stored.length, keys.length, `${keys.length - stored.length} acknowledged records lost`);
    } finally {
      await h.close();
    }
  });
});
