import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  createTestDatabase,
  credentialsFor,
  gql,
  runScript,
  type Started,
  systemPorts,
} from '@assay/kit/testing';
import fc from 'fast-check';
import {
  buildSchema,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';
import { keyAdminTypeDefs } from '../src/access/key-admin.ts';
import { SUPERGRAPH_PATH } from '../src/gateway.ts';

// Every query and mutation of the public API, driven through the gateway of the whole system with
// hostile arguments (NUL bytes, lone surrogates, huge strings and numbers, deep nesting, wrong
// types) and hostile documents (thousands of aliases, deep selections, huge literals). Whatever
// comes in: no 5xx, every error coded, no stack, SQL or path in any answer, and the system still
// answers afterwards. Bounded in runs and in time.

const RUNS = 400;
const TIME_LIMIT_MS = 90_000;

const schema = buildSchema(`${readFileSync(SUPERGRAPH_PATH, 'utf8')}\n${keyAdminTypeDefs}`, {
  assumeValidSDL: true,
});

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\ud800',
      'x\udfffy',
      '\u202e',
      "'; drop table x; --",
      '{{7*7}}',
      '../../etc/passwd',
      '%00',
      '\\',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(70_000, 1_100_000).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.uuid() },
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, 1e308, -1e308, 1.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
/** Nesting deep enough to hurt a recursive parser, as a variable value. */
const deepValue = fc.integer({ min: 50, max: 2000 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { nested: value };
  return value;
});
const anything = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null), deepValue);

function valueFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  const wrong = { weight: 1, arbitrary: anything };
  if (isNonNullType(type)) return valueFor(type.ofType, depth);
  if (isListType(type)) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.array(valueFor(type.ofType, depth + 1), { maxLength: 5 }) },
      wrong,
    );
  }
  if (isEnumType(type)) {
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...type.getValues().map((v) => v.name)) }, wrong);
  }
  if (isInputObjectType(type)) {
    if (depth > 3) return fc.constant({});
    const fields = Object.fromEntries(
      Object.values(type.getFields()).map((f) => [f.name, valueFor(f.type, depth + 1)]),
    );
    return fc.oneof({ weight: 6, arbitrary: fc.record(fields, { requiredKeys: [] }) }, wrong);
  }
  switch (getNamedType(type).name) {
    case 'Int':
    case 'Float':
      return fc.oneof({ weight: 4, arbitrary: hostileNumber }, wrong);
    case 'Boolean':
      return fc.oneof({ weight: 4, arbitrary: fc.boolean() }, wrong);
    default:
      return fc.oneof({ weight: 4, arbitrary: hostileString }, wrong);
  }
}

interface Operation {
  kind: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
}
const operations: Operation[] = [
  ...Object.values(schema.getQueryType()!.getFields()).map((field) => ({ kind: 'query' as const, field })),
  ...Object.values(schema.getMutationType()!.getFields()).map((field) => ({
    kind: 'mutation' as const,
    field,
  })),
].filter((op) => !op.field.name.startsWith('_'));

function documentFor({ kind, field }: Operation): string {
  const args = field.args as readonly GraphQLArgument[];
  const variables = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const selection = isCompositeType(getNamedType(field.type)) ? ' { __typename }' : '';
  return `${kind}${variables ? ` (${variables})` : ''} { ${field.name}${call}${selection} }`;
}

const operationCall = fc
  .constantFrom(...operations)
  .chain((op) =>
    fc
      .record(Object.fromEntries(op.field.args.map((a) => [a.name, valueFor(a.type)])), { requiredKeys: [] })
      .map((variables) => ({ query: documentFor(op), variables })),
  );

/** Documents no client should send. */
const hostileDocument = fc
  .oneof(
    fc.integer({ min: 100, max: 5000 }).map((n) => ({
      query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`,
      variables: {},
    })),
    fc.integer({ min: 20, max: 400 }).map((n) => ({
      query: `{ scoringRuns { nodes { ${'score { run { '.repeat(n)}id${' } }'.repeat(n)} } } }`,
      variables: {},
    })),
    fc.integer({ min: 10, max: 2000 }).map((n) => ({
      query: `{ __typename ${'@include(if: true) '.repeat(n)} }`,
      variables: {},
    })),
    fc.constantFrom(100_000, 2_000_000).map((n) => ({
      query: `{ scoringRun(id: "${'9'.repeat(n)}") { id } }`,
      variables: {},
    })),
    hostileString.map((garbage) => ({ query: garbage, variables: {} })),
    fc.constantFrom(
      '{',
      '}}}}',
      'query { ...F } fragment F on Query { ...F }',
      'subscription { __typename }',
    ),
  )
  .map((d) => (typeof d === 'string' ? { query: d, variables: {} } : d));

/** What an answer may never hold: stacks, SQL, file paths, upstream URLs. */
const LEAK =
  /\n\s+at |\.ts:\d+|\.js:\d+|node_modules|\/work\/|\bselect\b[^"]{0,80}\bfrom\b|\binsert into\b|\bupdate\b \S+ set\b|127\.0\.0\.1:\d+|localhost:\d+/i;

describe('fuzz: every query and mutation with hostile input', {
  timeout: TIME_LIMIT_MS * 2 + 120_000,
}, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let system: Started;
  let url: string;
  let sent = 0;

  before(async () => {
    database = await createTestDatabase();
    system = runScript('scripts/start.ts', { DATABASE_URL: database.url, ...(await systemPorts()) });
    url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
    await system.waitFor(/API key: /);
  });
  after(async () => {
    if (system && system.child.exitCode === null) system.child.kill('SIGTERM');
    await system?.exited;
    await database?.drop();
  });

  async function send(body: { query: string; variables: Record<string, unknown> }): Promise<void> {
    sent++;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...credentialsFor(url),
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const where = `${body.query.slice(0, 200)} ${JSON.stringify(body.variables).slice(0, 300)} → ${response.status} ${text.slice(0, 500)}`;
    assert.ok(response.status < 500, `no 5xx: ${where}`);
    let parsed: { errors?: { message: string; extensions?: { code?: unknown } }[] };
    try {
      parsed = JSON.parse(text);
    } catch {
      assert.fail(`the answer is JSON: ${where}`);
    }
    for (const error of parsed.errors ?? []) {
      assert.equal(typeof error.extensions?.code, 'string', `every error has a code: ${where}`);
    }
    assert.doesNotMatch(text, LEAK, `no stack, SQL, path or upstream URL: ${where}`);
  }

  it(`${operations.length} operations with hostile arguments`, async () => {
    assert.ok(operations.length > 20, 'the schema was read');
    await fc.assert(fc.asyncProperty(operationCall, send), {
      numRuns: RUNS,
      interruptAfterTimeLimit: TIME_LIMIT_MS / 2,
      markInterruptAsFailure: false,
    });
  });

  it('hostile documents', async () => {
    await fc.assert(fc.asyncProperty(hostileDocument, send), {
      numRuns: RUNS / 5,
      interruptAfterTimeLimit: TIME_LIMIT_MS / 2,
      markInterruptAsFailure: false,
    });
  });

  it('still answers afterwards, every subgraph included', async () => {
    assert.ok(sent >= 50, `${sent} requests were sent`);
    const result = await gql(
      url,
      '{ scoringRuns(first: 1) { nodes { id } } reviewRuns(first: 1) { nodes { id } } catalogEntries { id } }',
    );
    assert.equal(result.status, 200);
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    assert.ok(result.data!.catalogEntries.length > 0);
  });
});
