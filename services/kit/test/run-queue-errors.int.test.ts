import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { pino } from 'pino';
import { startRunQueue } from '../src/runs/run-queue.ts';
import { createTestDatabase } from '../src/testing/database.ts';
import { testRunKind } from './support/run-kind.ts';

// A pg-boss error (its connections killed by the server) is logged as message and code only: the
// error object can carry the database client, whose connection parameters hold the password.

const kind = testRunKind('leaky');

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let url: string;
before(async () => {
  database = await createTestDatabase();
  // A password of our own in the connection string, to look for in the log.
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin
    .query(`create role leaky_user login password 'hunter2-secret-pw' superuser`)
    .catch(() => undefined);
  await admin.end();
  const withPassword = new URL(database.url);
  withPassword.username = 'leaky_user';
  withPassword.password = 'hunter2-secret-pw';
  url = withPassword.toString();
});
after(async () => {
  await database?.drop();
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query('drop role if exists leaky_user').catch(() => undefined);
  await admin.end();
});

test('a pg-boss error is logged without the client, its password or the connection string', async () => {
  const lines: string[] = [];
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  let boss: PgBoss | undefined;
  try {
    boss = await startRunQueue(kind, { url, log, expireInSeconds: 60 });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    for (let i = 0; i < 100 && !lines.some((l) => l.includes('job queue error')); i++) {
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'assay-leaky-jobs'`,
      );
      await sleep(50);
    }
    await admin.end();
  } finally {
    await boss?.stop({ graceful: false, close: true }).catch(() => undefined);
  }
  const errors = lines.filter((l) => l.includes('job queue error'));
  assert.ok(errors.length > 0, `pg-boss reported an error: ${lines.join('')}`);
  for (const line of errors) {
    assert.ok(!line.includes('hunter2-secret-pw'), line);
    assert.ok(!line.includes('leaky_user:'), line);
    assert.ok(!/postgres(ql)?:\/\//.test(line), line);
    assert.ok(!/connectionParameters|"client"|secretKey/.test(line), line);
    const entry = JSON.parse(line) as { err?: { message?: string } };
    assert.equal(typeof entry.err?.message, 'string', line);
  }
});
