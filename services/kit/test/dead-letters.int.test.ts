import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type GraphQLFormattedError, type GraphQLSchema, graphql } from 'graphql';
import { pino } from 'pino';
import type { Caller } from '../src/auth/caller.ts';
import { createFormatError } from '../src/graphql/format-error.ts';
import { buildSubgraph } from '../src/graphql/subgraph.ts';
import { DeadLetter, DeadLetterStatus } from '../src/persistence/dead-letter.entity.ts';
import { DeadLetterResolver } from '../src/persistence/dead-letters/dead-letter.resolver.ts';
import { DeadLetterService } from '../src/persistence/dead-letters/dead-letter.service.ts';
import { createTestDatabase } from '../src/testing/database.ts';
import { type Harness, OUTBOX, openHarness, SCHEMA } from './support/fault-db.ts';
import { noteWrite } from './support/note-write.ts';

// Dead letters over GraphQL against a real PostgreSQL: listed, replayed through the writer, resolved.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let spoolDir: string;
let h: Harness;
let schema: GraphQLSchema;
const formatError = createFormatError(pino({ level: 'silent' }));

before(async () => {
  db = await createTestDatabase();
  spoolDir = await mkdtemp(join(tmpdir(), 'assay-dead-letters-'));
  h = await openHarness({ url: db.url, spoolDir, failureOutbox: true });
  schema = await buildSubgraph({
    resolvers: [new DeadLetterResolver(new DeadLetterService(h.orm, h.writer))],
  });
});
after(async () => {
  await h?.close();
  await db?.drop();
  await rm(spoolDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await h.orm.em
    .getConnection()
    .execute(`truncate "${SCHEMA}"."note", "${SCHEMA}"."dead_letter", "${SCHEMA}"."audit_log", ${OUTBOX}`);
});

const FIELDS = `id write idempotencyKey payload errorClass errorCode errorMessage retryCount status
  resolutionNote createdAt updatedAt resolvedAt`;

interface Failure {
  id: string;
  write: string;
  idempotencyKey: string;
  payload: unknown;
  errorClass: string;
  errorCode: string;
  errorMessage: string;
  retryCount: number;
  status: string;
  resolutionNote: string | null;
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
}

const ADMIN: Caller = { tenant: 'default', scopes: ['admin'], subject: 'key:defaultadmin' };
const OTHER_ADMIN: Caller = { tenant: 'globex', scopes: ['admin'], subject: 'key:globexadmin' };
const WRITER: Caller = { tenant: 'default', scopes: ['write'], subject: 'key:defaultwrite' };

/** Executes an operation as `caller` and formats its errors as a client receives them. */
async function run(source: string, variableValues: Record<string, unknown> = {}, caller = ADMIN) {
  const result = await graphql({ schema, source, variableValues, contextValue: { caller } });
  return {
    // biome-ignore lint/suspicious/noExplicitAny: tests read the response by path
    data: result.data as Record<string, any> | null | undefined,
    errors: result.errors?.map((e): GraphQLFormattedError => formatError(e.toJSON(), e)),
  };
}

async function list(vars: { status?: string; first?: number; after?: string | null } = {}, caller = ADMIN) {
  const { data, errors } = await run(
    `query($status: DeadLetterStatus, $first: Int, $after: String) {
       persistenceFailures(status: $status, first: $first, after: $after) {
         nodes { ${FIELDS} } pageInfo { hasNextPage endCursor }
       }
     }`,
    vars,
    caller,
  );
  assert.equal(errors, undefined, JSON.stringify(errors));
  return data!.persistenceFailures as {
    nodes: Failure[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

async function replay(id: string, caller = ADMIN) {
  const { data, errors } = await run(
    `mutation($id: ID!) { replayPersistenceFailure(id: $id) { ${FIELDS} } }`,
    { id },
    caller,
  );
  return { failure: data?.replayPersistenceFailure as Failure | undefined, errors };
}

async function resolve(id: string, resolution: string, note?: string, caller = ADMIN) {
  const { data, errors } = await run(
    `mutation($id: ID!, $resolution: DeadLetterResolution!, $note: String) {
       resolvePersistenceFailure(id: $id, resolution: $resolution, note: $note) { ${FIELDS} }
     }`,
    { id, resolution, note },
    caller,
  );
  return { failure: data?.resolvePersistenceFailure as Failure | undefined, errors };
}

function assertError(errors: GraphQLFormattedError[] | undefined, code: string, message?: RegExp) {
  assert.equal(errors?.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]!.extensions?.code, code, errors[0]!.message);
  if (message) assert.match(errors[0]!.message, message);
}

/** A write that fails for good: the note table takes only object bodies. */
async function deadLetterNote(key: string): Promise<Failure> {
  const result = await h.writer.persist(noteWrite, { key, body: [1] });
  assert.equal(result.status, 'DEAD_LETTERED');
  const failure = (await list()).nodes.find((f) => f.idempotencyKey === key);
  assert.ok(failure, `the dead letter for ${key} is listed`);
  return failure;
}

/** A dead letter as the writer would have left it, with a payload the table now takes. */
async function insertLetter(key: string, fields: Partial<DeadLetter> = {}): Promise<string> {
  const id = crypto.randomUUID();
  await h.orm.em.fork().insert(DeadLetter, {
    id,
    write: noteWrite.name,
    idempotencyKey: key,
    payload: { key, body: { fixed: true } },
    errorClass: 'permanent',
    errorCode: '23514',
    errorMessage: 'new row violates check constraint',
    retryCount: 0,
    status: DeadLetterStatus.PENDING,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...fields,
  });
  return id;
}

async function notesWithKey(key: string): Promise<number> {
  const rows = await h.orm.em
    .getConnection()
    .execute<{ n: number }[]>(`select count(*)::int as n from "${SCHEMA}"."note" where key = ?`, [key]);
  return rows[0]!.n;
}

describe('persistence failures', { timeout: 60_000 }, () => {
  test('a permanent failure is listed PENDING with its error and payload', async () => {
    const failure = await deadLetterNote('bad-1');
    assert.equal(failure.write, 'test.note');
    assert.equal(failure.status, 'PENDING');
    assert.equal(failure.errorClass, 'permanent');
    assert.equal(failure.errorCode, '23514');
    assert.match(failure.errorMessage, /check constraint/);
    assert.equal(failure.retryCount, 0);
    assert.deepEqual(failure.payload, { key: 'bad-1', body: [1] });
    assert.equal(failure.resolvedAt, null);
  });

  test('a dead letter reports WRITE_FAILED to the service’s failure outbox, once, with the letter', async () => {
    await deadLetterNote('bad-outbox');
    assert.equal(
      (await h.writer.persist(noteWrite, { key: 'bad-outbox', body: [1] })).status,
      'DEAD_LETTERED',
    );
    const rows = await h.orm.em.getConnection().execute<
      {
        service: string;
        error_code: string;
        stage: string;
        retryable: boolean;
        context: unknown;
        error_message: string;
      }[]
    >(`select service, error_code, stage, retryable, context, error_message from ${OUTBOX}`);
    assert.equal(rows.length, 1, 'one failure per dead letter (write, key)');
    const [row] = rows;
    assert.deepEqual(
      { ...row!, error_message: undefined },
      {
        service: 'kit-test',
        error_code: 'WRITE_FAILED',
        stage: 'dead-letter',
        retryable: false,
        context: { write: 'test.note', reason: '23514' },
        error_message: undefined,
      },
    );
    assert.match(row!.error_message, /^test\.note failed permanently \(23514\): .*check constraint/);
    assert.doesNotMatch(row!.error_message, /\[1\]/, 'the payload stays out of the message');
  });

  test('filters by status', async () => {
    const pending = await insertLetter('p');
    const ignored = await insertLetter('i', { status: DeadLetterStatus.IGNORED, resolvedAt: new Date() });
    assert.deepEqual(
      (await list({ status: 'PENDING' })).nodes.map((f) => f.id),
      [pending],
    );
    assert.deepEqual(
      (await list({ status: 'IGNORED' })).nodes.map((f) => f.id),
      [ignored],
    );
    assert.equal((await list()).nodes.length, 2);
  });

  test('pages newest first with first/after; bad arguments are BAD_USER_INPUT', async () => {
    const base = Date.now() - 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await insertLetter(`page-${i}`, { createdAt: new Date(base + i) }));
    const seen: string[] = [];
    let afterCursor: string | null = null;
    for (const expectMore of [true, true, false]) {
      const page = await list({ first: 2, after: afterCursor });
      seen.push(...page.nodes.map((f) => f.id));
      assert.equal(page.pageInfo.hasNextPage, expectMore);
      afterCursor = page.pageInfo.endCursor;
    }
    assert.deepEqual(seen, ids.toReversed());

    const tooMany = await run('{ persistenceFailures(first: 1000) { nodes { id } } }');
    assertError(tooMany.errors, 'BAD_USER_INPUT', /first/);
    const badCursor = await run('{ persistenceFailures(after: "nope") { nodes { id } } }');
    assertError(badCursor.errors, 'BAD_USER_INPUT', /cursor/);
  });

  test('a replay that fails for good again stays PENDING, with the error and one more retry', async () => {
    const failure = await deadLetterNote('bad-2');
    const { failure: replayed, errors } = await replay(failure.id);
    assert.equal(errors, undefined, JSON.stringify(errors));
    assert.equal(replayed!.status, 'PENDING');
    assert.equal(replayed!.retryCount, 1);
    assert.equal(replayed!.errorCode, '23514');
    assert.match(replayed!.errorMessage, /check constraint/);
    assert.ok(replayed!.updatedAt > failure.updatedAt);
    assert.equal(await notesWithKey('bad-2'), 0);
    assert.equal((await list()).nodes.length, 1, 'still one dead letter for the (write, key)');
  });

  test('a replay whose payload is now accepted is RESOLVED and writes the row exactly once', async () => {
    const id = await insertLetter('fixed-1');
    const { failure, errors } = await replay(id);
    assert.equal(errors, undefined, JSON.stringify(errors));
    assert.equal(failure!.status, 'RESOLVED');
    assert.equal(failure!.resolutionNote, 'replayed');
    assert.ok(failure!.resolvedAt);
    assert.equal(await notesWithKey('fixed-1'), 1);

    assertError((await replay(id)).errors, 'BAD_USER_INPUT', /already resolved/);
    assert.equal(await notesWithKey('fixed-1'), 1);
  });

  test('concurrent replays: one replays, the other is refused; the row is written once', async () => {
    const id = await insertLetter('race');
    const results = await Promise.all([replay(id), replay(id)]);
    const won = results.filter((r) => r.failure?.status === 'RESOLVED');
    const refused = results.filter((r) => r.errors);
    assert.equal(won.length, 1);
    assert.equal(refused.length, 1);
    assertError(refused[0]!.errors, 'BAD_USER_INPUT', /being replayed|already resolved/);
    assert.equal(await notesWithKey('race'), 1);
  });

  test('a replay left RETRYING by a dead process is taken over once it is stale, not before', async () => {
    const fresh = await insertLetter('busy', { status: DeadLetterStatus.RETRYING });
    assertError((await replay(fresh)).errors, 'BAD_USER_INPUT', /being replayed/);
    const stale = await insertLetter('stale', {
      status: DeadLetterStatus.RETRYING,
      updatedAt: new Date(Date.now() - 10 * 60_000),
    });
    assert.equal((await replay(stale)).failure?.status, 'RESOLVED');
  });

  test('database unavailable: SERVICE_UNAVAILABLE, retryable, and the letter is PENDING again', async () => {
    const id = await insertLetter('away');
    const isolation = h.writer.policy.breaker.isolate();
    try {
      const { errors } = await replay(id);
      assertError(errors, 'SERVICE_UNAVAILABLE');
      assert.equal(errors![0]!.extensions?.retryable, true);
    } finally {
      isolation.dispose();
    }
    const [letter] = (await list()).nodes;
    assert.equal(letter!.status, 'PENDING');
    assert.equal(letter!.retryCount, 0);
    assert.equal(await notesWithKey('away'), 0);
  });

  test('resolve with IGNORED and a note; resolving again is BAD_USER_INPUT', async () => {
    const failure = await deadLetterNote('bad-3');
    const { failure: ignored, errors } = await resolve(failure.id, 'IGNORED', 'test data, not needed');
    assert.equal(errors, undefined, JSON.stringify(errors));
    assert.equal(ignored!.status, 'IGNORED');
    assert.equal(ignored!.resolutionNote, 'test data, not needed');
    assert.ok(ignored!.resolvedAt);

    assertError((await resolve(failure.id, 'RESOLVED')).errors, 'BAD_USER_INPUT', /already resolved/);
    assertError((await replay(failure.id)).errors, 'BAD_USER_INPUT', /already resolved/);
  });

  test('unknown and malformed ids are NOT_FOUND; a note over 2000 characters is BAD_USER_INPUT', async () => {
    const unknown = crypto.randomUUID();
    assertError((await replay(unknown)).errors, 'NOT_FOUND', new RegExp(unknown));
    assertError((await resolve(unknown, 'RESOLVED')).errors, 'NOT_FOUND');
    assertError((await replay('not-a-uuid')).errors, 'NOT_FOUND');
    assertError((await resolve("1' or '1'='1", 'IGNORED')).errors, 'NOT_FOUND');

    const id = await insertLetter('long-note');
    assertError((await resolve(id, 'IGNORED', 'x'.repeat(2001))).errors, 'BAD_USER_INPUT', /2000/);
    assert.equal((await list()).nodes[0]!.status, 'PENDING');
    assert.equal((await resolve(id, 'RESOLVED', 'x'.repeat(2000))).failure?.status, 'RESOLVED');
  });

  test('a dead letter is its write’s tenant’s: another tenant’s admin neither lists nor acts on it', async () => {
    const mine = await deadLetterNote('tenant-mine');
    assert.equal(
      (await h.writer.persist(noteWrite, { key: 'tenant-theirs', body: [2], tenantId: 'globex' })).status,
      'DEAD_LETTERED',
    );
    assert.deepEqual(
      (await list()).nodes.map((f) => f.idempotencyKey),
      ['tenant-mine'],
    );
    const theirs = (await list({}, OTHER_ADMIN)).nodes;
    assert.deepEqual(
      theirs.map((f) => f.idempotencyKey),
      ['tenant-theirs'],
    );
    const outbox = await h.orm.em
      .getConnection()
      .execute<{ tenant_id: string }[]>(`select tenant_id from ${OUTBOX} order by tenant_id`);
    assert.deepEqual(
      outbox.map((r) => r.tenant_id),
      ['default', 'globex'],
      'each WRITE_FAILED report is its tenant’s',
    );

    // Another tenant's id answers exactly as an unknown one: no existence oracle.
    const unknown = crypto.randomUUID();
    for (const [foreign, id] of [
      [await replay(mine.id, OTHER_ADMIN), mine.id],
      [await resolve(mine.id, 'IGNORED', undefined, OTHER_ADMIN), mine.id],
      [await replay(unknown, OTHER_ADMIN), unknown],
    ] as const) {
      assertError(foreign.errors, 'NOT_FOUND');
      assert.equal(
        foreign.errors![0]!.message.replace(id, '<id>'),
        `persistence failure "<id>" does not exist`,
      );
    }
    assert.equal((await list()).nodes[0]!.status, 'PENDING');
  });

  test('dead letters need admin: a write key is FORBIDDEN and changes nothing', async () => {
    const failure = await deadLetterNote('forbidden');
    for (const attempt of [
      await run('{ persistenceFailures { nodes { id } } }', {}, WRITER),
      await replay(failure.id, WRITER),
      await resolve(failure.id, 'IGNORED', undefined, WRITER),
    ]) {
      assertError(attempt.errors, 'FORBIDDEN', /"admin"/);
    }
    assert.equal((await list()).nodes[0]!.status, 'PENDING');
    assert.equal(await auditRows().then((rows) => rows.length), 0);
  });

  test('replays and resolutions are audited (who, what, when) with the change; refusals are not', async () => {
    const before = new Date();
    const failed = await deadLetterNote('audit-fails-again');
    await replay(failed.id);
    const fixed = await insertLetter('audit-fixed');
    assert.equal((await replay(fixed)).failure?.status, 'RESOLVED');
    const ignored = await insertLetter('audit-ignored');
    assert.equal((await resolve(ignored, 'IGNORED', 'not needed')).failure?.status, 'IGNORED');
    await resolve(ignored, 'IGNORED'); // already resolved: refused, not audited
    await replay(crypto.randomUUID()); // unknown: refused, not audited
    const rows = await auditRows();
    assert.deepEqual(
      rows.map(({ at: _at, ...row }) => row),
      [
        {
          tenant_id: 'default',
          actor: 'key:defaultadmin',
          action: 'dead_letter.replayed',
          target: failed.id,
          detail: { outcome: 'PENDING', errorCode: '23514' },
        },
        {
          tenant_id: 'default',
          actor: 'key:defaultadmin',
          action: 'dead_letter.replayed',
          target: fixed,
          detail: { outcome: 'RESOLVED' },
        },
        {
          tenant_id: 'default',
          actor: 'key:defaultadmin',
          action: 'dead_letter.resolved',
          target: ignored,
          detail: { status: 'IGNORED' },
        },
      ],
    );
    for (const row of rows) {
      const at = new Date(row.at);
      assert.ok(at >= before && at <= new Date(), `audited at ${row.at}`);
    }
  });
});

async function auditRows() {
  return h.orm.em
    .getConnection()
    .execute<
      { tenant_id: string; actor: string; action: string; target: string; detail: unknown; at: string }[]
    >(`select tenant_id, actor, action, target, detail, at from "${SCHEMA}"."audit_log" order by at, action`);
}
