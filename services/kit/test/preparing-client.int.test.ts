import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { PreparingClient } from '../src/database/preparing-client.ts';
import { startRunQueue } from '../src/runs/run-queue.ts';
import { createTestDatabase } from '../src/testing/database.ts';
import { testRunKind } from './support/run-kind.ts';

// Parameterised statements are prepared once per connection (named), so PostgreSQL plans them once.

const PREPARED = 'select count(*)::int as n from pg_prepared_statements';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  database = await createTestDatabase();
});
after(() => database?.drop());

describe('PreparingClient', () => {
  test('prepares a parameterised statement once and runs it with each call’s values', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1, Client: PreparingClient });
    try {
      const values = [];
      for (const i of [1, 2, 3]) values.push((await pool.query('select $1::int as i', [i])).rows[0].i);
      assert.deepEqual(values, [1, 2, 3]);
      // With no parameters: the simple protocol as before, several statements in one text included.
      const multi = (await pool.query('select 1 as a; select 2 as b')) as unknown as pg.QueryResult[];
      assert.deepEqual(
        multi.map((r) => r.rows[0]),
        [{ a: 1 }, { b: 2 }],
      );
      assert.equal((await pool.query('select 4 as i', [])).rows[0].i, 4);
      const prepared = await pool.query('select statement from pg_prepared_statements');
      assert.deepEqual(
        prepared.rows.map((r) => r.statement),
        ['select $1::int as i'],
      );
    } finally {
      await pool.end();
    }
  });

  test('a run queue’s pg-boss prepares its job statements', async () => {
    const kind = testRunKind('prep');
    const boss = await startRunQueue(kind, {
      url: database.url,
      log: pino({ level: 'silent' }),
      expireInSeconds: 60,
    });
    try {
      for (let i = 0; i < 3; i++) {
        await boss.send(kind.queue.name, { runId: `r${i}`, attempt: 0 });
        const [job] = await boss.fetch(kind.queue.name);
        assert.ok(job, 'a job to fetch');
        await boss.complete(kind.queue.name, job.id);
      }
      // Asked on every connection of its pool at once: the send, the fetch and the complete were
      // each prepared on the connection that ran them.
      const counts = await Promise.all(
        Array.from(
          { length: 4 },
          async () => (await boss.getDb().executeSql(PREPARED, [])).rows[0].n as number,
        ),
      );
      const total = counts.reduce((a, b) => a + b, 0);
      assert.ok(total >= 3, `prepared statements per connection: ${counts.join(', ')}`);
    } finally {
      await boss.stop({ graceful: false });
    }
  });
});
