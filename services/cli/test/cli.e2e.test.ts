import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeOpenAI, freePort, gql, runScript, type Started, systemPorts } from '@assay/kit/testing';
import { FaultDb } from '../../kit/test/support/fault-db.ts';
import { PERSONAS, panel, verdict } from '../../review/test/support.ts';
import { ApiKey, AuthError } from '../src/client/credentials.ts';
import { follow } from '../src/client/follow.ts';
import { ScoringRunProgressDocument } from '../src/generated/graphql.ts';
import { printed, assay as run } from './support.ts';

// `assay` against the whole system as `npm start` runs it (PostgreSQL of this file's own, the model
// faked at the network edge), each exit code produced for real. As in the README: the system is
// started with its data in `<dir>/.assay`, and `assay` runs in `<dir>`, where it finds the
// development key `npm start` wrote to `./.assay/dev-api-key` without being told.

const DIFF = [
  'diff --git a/src/a.ts b/src/a.ts',
  '--- a/src/a.ts',
  '+++ b/src/a.ts',
  '@@ -1 +1,3 @@',
  ' a',
  '+console.log("x")',
  '+export const b = 2;',
  '',
].join('\n');
const LLM_SCORE = {
  kind: 'json' as const,
  output: {
    value: 8,
    criteria: [{ criterion: 'clarity', score: 8, weight: 1, detail: 'Clear.' }],
    violations: [],
  },
};
const ESC = '\x1b';

describe('assay command line', { timeout: 600_000 }, () => {
  let db: FaultDb;
  let openai: FakeOpenAI;
  let system: Started;
  let ports: NodeJS.ProcessEnv;
  let url: string;
  let dir: string;
  let diffFile: string;
  let env: NodeJS.ProcessEnv;
  /** The development key, read from the file `npm start` wrote (never passed to the CLI by the tests). */
  let devKey: string;
  /** A directory with no `.assay` in it: the CLI run there finds no key unless it is given one. */
  let elsewhere: string;
  /** Every key a test handed to the CLI: none may ever appear in what it prints. */
  const keys: string[] = [];
  const assay: typeof run = (args, e, options = {}) => run(args, e, { cwd: dir, ...options });

  before(async () => {
    db = await FaultDb.start();
    openai = await FakeOpenAI.start();
    dir = await mkdtemp(join(tmpdir(), 'assay-cli-'));
    ports = await systemPorts();
    system = runScript('scripts/start.ts', {
      DATABASE_URL: db.url,
      ASSAY_DATA_DIR: join(dir, '.assay'),
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      ASSAY_LLM_RETRIES: '0',
      ...ports,
    });
    url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
    await system.waitFor(/API key: /); // the line after: from then on gql() carries the key too
    devKey = (await readFile(join(dir, '.assay', 'dev-api-key'), 'utf8')).trim();
    assert.match(devKey, /^assay_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    keys.push(devKey);
    diffFile = join(dir, 'change.diff');
    await writeFile(diffFile, DIFF);
    elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    env = { ASSAY_URL: url };
  });
  after(async () => {
    if (system?.child.exitCode === null) system.child.kill('SIGTERM');
    await system?.exited;
    await db?.destroy();
    await openai?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const repo = () => `acme/cli-${randomUUID().slice(0, 8)}`;
  const runsOf = async (repository: string) =>
    (
      await gql(
        url,
        'query($r: String!) { scoringRuns(filter: { repository: $r }) { nodes { id status } } }',
        {
          r: repository,
        },
      )
    ).data!.scoringRuns as { nodes: { id: string; status: string }[] };
  const statusOf = async (id: string) =>
    (
      (await gql(url, 'query($id: ID!) { scoringRun(id: $id) { status } }', { id })).data?.scoringRun as {
        status: string;
      } | null
    )?.status;

  it('0: a good diff is scored and verified; --json parses and matches the API', async () => {
    const r = await assay(
      ['score', '--repo', repo(), '--pr', '3', '--diff-file', diffFile, '--min-score', '5', '--json'],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as {
      exitCode: number;
      run: { id: string; score: { value: number } };
    };
    assert.equal(printed.exitCode, 0);
    const api = await gql(
      url,
      'query($id: ID!) { scoringRun(id: $id) { id status persistence score { value band contentHash verifiedAt } } }',
      { id: printed.run.id },
    );
    const run = api.data!.scoringRun as Record<string, unknown>;
    assert.equal(run.status, 'DONE');
    assert.equal(run.persistence, 'VERIFIED');
    assert.deepEqual((printed.run as unknown as { score: unknown }).score, {
      ...(printed.run.score as object),
      ...(run.score as object),
    });
    assert.equal(r.stderr, '', 'with --json nothing but the document is printed');
  });

  it('1: a score under --min-score; plain lines without a TTY, no escape codes', async () => {
    const r = await assay(['score', '--repo', repo(), '--diff-file', diffFile, '--min-score', '9.5'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /below --min-score 9\.5/);
    assert.match(r.stdout, /^score \d+(\.\d)? \w+/m);
    assert.match(r.stderr, /^DONE 100%/m, 'a plain progress line per change');
    assert.ok(!r.stdout.includes(ESC) && !r.stderr.includes(ESC), 'no escape codes outside a terminal');
  });

  it('the same CI job run twice (same repo, PR and diff) scores once', async () => {
    const repository = repo();
    const args = ['score', '--repo', repository, '--pr', '9', '--diff-file', diffFile, '--json'];
    const first = JSON.parse((await assay(args, env)).stdout) as { run: { id: string } };
    const second = JSON.parse((await assay(args, env)).stdout) as { run: { id: string } };
    assert.equal(second.run.id, first.run.id);
    assert.equal((await runsOf(repository)).nodes.length, 1);
    // Another diff of the same PR is another run.
    const other = await assay(['score', '--repo', repository, '--pr', '9', '--json'], env, {
      input: `${DIFF}+more\n`,
    });
    assert.notEqual((JSON.parse(other.stdout) as { run: { id: string } }).run.id, first.run.id);
  });

  it('on a pseudo-terminal the progress bar is drawn in place and reaches 100%', async () => {
    const r = await assay(['score', '--repo', repo(), '--diff-file', diffFile], env, { tty: true });
    assert.equal(r.code, 0, r.stdout);
    assert.ok(r.stdout.includes('\r\x1b[2K'), 'redrawn in place');
    assert.match(r.stdout, /█{24} 100% DONE/);
  });

  it('GitHub Actions: violations become annotations, the summary goes to $GITHUB_STEP_SUMMARY', async () => {
    const summary = join(dir, 'summary.md');
    const r = await assay(['score', '--repo', repo(), '--pr', '4', '--diff-file', diffFile], {
      ...env,
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^::warning file=src\/a\.ts,line=2,title=debug_statement \(LOW\)::debug statement added/m,
    );
    const markdown = await readFile(summary, 'utf8');
    assert.match(markdown, /^### Assay score: \d/m);
    assert.match(markdown, /\| src\/a\.ts \| 2 \| LOW \| debug_statement \|/);
  });

  it('GitHub Actions with --json: the annotations go to stderr and stdout stays one JSON document', async () => {
    const summary = join(dir, 'summary-json.md');
    const r = await assay(['score', '--repo', repo(), '--pr', '5', '--diff-file', diffFile, '--json'], {
      ...env,
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { exitCode: number }).exitCode, 0);
    assert.ok(!r.stdout.includes('::warning'), r.stdout);
    assert.match(
      r.stderr,
      /^::warning file=src\/a\.ts,line=2,title=debug_statement \(LOW\)::debug statement added/m,
    );
    assert.match(await readFile(summary, 'utf8'), /^### Assay score: \d/m);
  });

  it('2: a run that ends in ERROR (the model refuses the request); runs show and failures find it, recover closes it', async () => {
    openai.enqueue({ kind: 'error', status: 400, message: 'bad request' });
    const r = await assay(['score', '--repo', repo(), '--diff-file', diffFile, '--scorer', 'LLM'], env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ended ERROR: LLM_REQUEST_FAILED/);
    const runId = /run (\S+) ended ERROR/.exec(r.stderr)![1]!;

    // The failure reaches the catalog through the outbox, a moment after the run ended.
    let failures: { id: string; errorCode: string }[] = [];
    for (let i = 0; i < 100 && failures.length === 0; i++) {
      if (i > 0) await sleep(100);
      const listed = await assay(['failures', 'list', '--run', runId, '--json'], env);
      assert.equal(listed.code, 0, listed.stderr);
      failures = (JSON.parse(listed.stdout) as { nodes: typeof failures }).nodes;
    }
    assert.deepEqual(
      failures.map((f) => f.errorCode),
      ['LLM_REQUEST_FAILED'],
    );

    const shown = await assay(['runs', 'show', runId], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^scoring run ${runId}$`, 'm'));
    assert.match(shown.stdout, /^ {2}status: ERROR$/m);
    assert.match(shown.stdout, /^re-queued by the watchdog: 0 times; failures \(1\), oldest first:$/m);
    assert.match(shown.stdout, /LLM_REQUEST_FAILED/);
    assert.match(shown.stdout, /^trace: [0-9a-f]{32}/m);

    const recovered = await assay(
      [
        'failures',
        'recover',
        failures[0]!.id,
        '--status',
        'IGNORED',
        '--note',
        'model refused',
        '--by',
        'ci',
      ],
      env,
    );
    assert.equal(recovered.code, 0, recovered.stderr);
    const failure = await assay(['failures', 'show', failures[0]!.id], env);
    assert.match(failure.stdout, /recovery: {3}IGNORED/);
    assert.match(failure.stdout, /UNRECOVERED → IGNORED {2}by ci: model refused/);
    const bad = await assay(['failures', 'recover', failures[0]!.id, '--status', 'REGRESSED'], env);
    assert.equal(bad.code, 4, 'not a status one can set by hand');
  });

  it('review: a line per persona, then the decision; the exit code follows the label', async () => {
    const idea = join(dir, 'idea.md');
    await writeFile(idea, 'Cache scores per commit so CI re-runs are free.');
    openai.otherwise(panel({}));
    const approve = await assay(['review', '--idea-file', idea], env);
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, /^decision APPROVE/m);
    for (const p of PERSONAS)
      assert.match(approve.stderr, new RegExp(`^  ${p.name}: APPROVE \\(confidence 0\\.90`, 'm'));

    const reject = Object.fromEntries(
      PERSONAS.map((p) => [p.id, { kind: 'json' as const, output: verdict(0.1) }]),
    );
    openai.otherwise(panel(reject));
    const rejected = await assay(['review', '--idea-file', idea, '--json'], env);
    assert.equal(rejected.code, 6, rejected.stderr);
    assert.equal(
      (JSON.parse(rejected.stdout) as { run: { decision: { label: string } } }).run.decision.label,
      'REJECT',
    );
    openai.reset();
  });

  it('4: bad flags and bad input, each named', async () => {
    const cases: [string[], RegExp][] = [
      [['score', '--diff-file', diffFile], /required option '--repo/],
      [['score', '--repo', 'acme/api', '--diff-file', diffFile, '--min-score', '11'], /--min-score.*0 to 10/],
      [['score', '--repo', 'not a repo', '--diff-file', diffFile], /owner\/name/],
      [
        ['score', '--repo', 'acme/api', '--diff-file', join(dir, 'missing.diff')],
        /cannot read the diff file .*ENOENT/,
      ],
      [['score', '--repo', 'acme/api', '--git', '--output=/tmp/x'], /--git takes a range/],
      [['runs', 'show', 'not-a-uuid'], /must be a run id/],
      [['runs', 'show', randomUUID()], /no scoring or review run/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const r = await assay(args, env);
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    }
    const empty = await assay(['score', '--repo', 'acme/api'], env, { input: '' });
    assert.equal(empty.code, 4);
    assert.match(empty.stderr, /the diff is empty/);
  });

  it('4: no API key anywhere, one line saying how to supply it', async () => {
    for (const args of [
      ['runs', 'list'],
      ['runs', 'list', '--json'],
    ]) {
      const r = await assay(args, env, { cwd: elsewhere });
      assert.equal(r.code, 4, r.stderr);
      assert.equal(r.stdout, '', args.join(' '));
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^assay: Assay at \S+ needs an API key and none was found/);
      assert.match(lines[0]!, /--api-key KEY, set ASSAY_API_KEY, put "apiKey" in the config file/);
      assert.match(
        lines[0]!,
        new RegExp(`npm start, which writes ${join(elsewhere, '.assay', 'dev-api-key')}`),
      );
    }
  });

  it('4: a refused API key (unknown, malformed) is named by where it came from, never by its value', async () => {
    const unknown = `assay_0123456789ab_${'Q'.repeat(43)}`;
    keys.push(unknown, 'not-an-assay-key');
    for (const [key, reason] of [
      [unknown, /unknown API key/],
      ['not-an-assay-key', /not an Assay API key/],
    ] as const) {
      const r = await assay(['failures', 'list'], { ...env, ASSAY_API_KEY: key }, { cwd: elsewhere });
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /^assay: Assay at \S+ refused the API key from ASSAY_API_KEY \(/);
      assert.match(r.stderr, reason);
      assert.match(r.stderr, /pass --api-key KEY, set ASSAY_API_KEY/);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    }
    const doctor = await assay(['doctor'], { ...env, ASSAY_API_KEY: unknown });
    assert.equal(doctor.code, 4, doctor.stdout);
    assert.match(doctor.stdout, /^api key\s+FAIL\s+Assay at \S+ refused the API key from ASSAY_API_KEY/m);
    assert.match(doctor.stderr, /^assay: .*refused the API key/);
  });

  it('--api-key wins over ASSAY_API_KEY, which wins over "apiKey" in the config file, which wins over ./.assay', async () => {
    const bad = `assay_fedcba987654_${'z'.repeat(43)}`;
    keys.push(bad);
    const flagOverEnv = await assay(['runs', 'list'], { ...env, ASSAY_API_KEY: devKey }, { cwd: elsewhere });
    assert.equal(flagOverEnv.code, 0, 'ASSAY_API_KEY alone is enough');
    const badFlag = await assay(['runs', 'list', '--api-key', bad], { ...env, ASSAY_API_KEY: devKey });
    assert.equal(badFlag.code, 4, badFlag.stderr);
    assert.match(badFlag.stderr, /refused the API key from --api-key/);
    const goodFlag = await assay(['runs', 'list', '--api-key', devKey], { ...env, ASSAY_API_KEY: bad });
    assert.equal(goodFlag.code, 0, goodFlag.stderr);

    const config = join(dir, 'keyed.config.json');
    await writeFile(config, JSON.stringify({ url, apiKey: bad }));
    const badFile = await assay(['runs', 'list', '--config', config], {});
    assert.equal(badFile.code, 4, 'the config file wins over ./.assay/dev-api-key');
    assert.match(badFile.stderr, new RegExp(`refused the API key from "apiKey" in ${config}`));
    const envOverFile = await assay(['runs', 'list', '--config', config], { ASSAY_API_KEY: devKey });
    assert.equal(envOverFile.code, 0, envOverFile.stderr);
    await writeFile(config, JSON.stringify({ url, apiKey: devKey }));
    const goodFile = await assay(['runs', 'list', '--config', config], {}, { cwd: elsewhere });
    assert.equal(goodFile.code, 0, goodFile.stderr);
  });

  it('4: a key without the "write" scope reads, and is told which scope a write needs', async () => {
    const created = await gql(
      url,
      'mutation { createApiKey(input: { name: "cli read-only", scopes: ["read"] }) { key } }',
    );
    const readOnly = (created.data?.createApiKey as { key: string } | undefined)?.key;
    assert.ok(readOnly, JSON.stringify(created.errors));
    keys.push(readOnly);
    const readEnv = { ...env, ASSAY_API_KEY: readOnly };
    const listed = await assay(['runs', 'list', '--json'], readEnv);
    assert.equal(listed.code, 0, listed.stderr);
    const refused = await assay(['score', '--repo', repo(), '--diff-file', diffFile], readEnv);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /^assay: the API key from ASSAY_API_KEY lacks the "write" scope/);
    assert.equal(refused.stderr.trimEnd().split('\n').length, 1);
  });

  it('a subscription socket the gateway closes 4403 is reported as a refused key, not as a network failure', async () => {
    const bad = new ApiKey(`assay_00000000abcd_${'k'.repeat(43)}`, 'a test');
    const credentials = { url, apiKey: bad, devKeyFile: join(elsewhere, '.assay', 'dev-api-key') };
    const id = randomUUID();
    await assert.rejects(
      follow(credentials, ScoringRunProgressDocument, { runId: id }, () => {}, {
        signal: AbortSignal.timeout(60_000),
      }),
      (error: unknown) =>
        error instanceof AuthError &&
        error.exitCode === 4 &&
        /refused the API key from a test \(the subscription socket was closed 4403/.test(error.message),
    );
    // And with the right key the same subscription is accepted (it answers the unknown run with an error).
    const good = new ApiKey(devKey, 'the test');
    await assert.rejects(
      follow({ ...credentials, apiKey: good }, ScoringRunProgressDocument, { runId: id }, () => {}, {
        signal: AbortSignal.timeout(60_000),
      }),
      (error: unknown) => !(error instanceof AuthError),
    );
  });

  it('5: nothing listening', async () => {
    const r = await assay(['score', '--repo', 'acme/api', '--diff-file', diffFile], {
      ASSAY_URL: `http://127.0.0.1:${await freePort()}/graphql`,
    });
    assert.equal(r.code, 5);
    assert.match(r.stderr, /unreachable .*ECONNREFUSED/);
  });

  it('runs watch survives a gateway restart in the middle of a run and still prints DONE', async () => {
    // A gateway of this test's own, in front of the same subgraphs, that it can kill.
    const port = String(await freePort());
    // Its API keys are the system's (the same PostgreSQL), so the development key works there too.
    const gatewayEnv = { ...ports, DATABASE_URL: db.url, ASSAY_GATEWAY_PORT: port, LOG_LEVEL: 'info' };
    let gateway = runScript('services/gateway/src/main.ts', gatewayEnv);
    await gateway.waitFor(/gateway ready/);
    const gatewayUrl = `http://127.0.0.1:${port}/graphql`;
    // Long enough that the new gateway is up (a few seconds) well before the run ends.
    openai.enqueue({ ...LLM_SCORE, delayMs: 12_000 });
    const started = await gql(
      gatewayUrl,
      'mutation($d: String!) { startScoringRun(input: { subject: { repository: "acme/watch", diff: $d }, scorer: LLM }) { id } }',
      { d: DIFF },
      { authorization: `Bearer ${devKey}` },
    );
    const id = (started.data!.startScoringRun as { id: string }).id;
    // From another directory, the data directory named as `npm start` was given it: the same key file.
    const watch = assay(
      ['runs', 'watch', id],
      { ASSAY_URL: gatewayUrl, ASSAY_DATA_DIR: join(dir, '.assay') },
      { cwd: elsewhere },
    );
    await sleep(1500);
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    await sleep(1000);
    gateway = runScript('services/gateway/src/main.ts', gatewayEnv);
    await gateway.waitFor(/gateway ready/);
    const r = await watch;
    gateway.child.kill('SIGTERM');
    await gateway.exited;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`scoring run ${id}: DONE`));
    assert.match(r.stderr, /reconnected/);
  });

  it('dlq replay --all --dry-run lists and changes nothing; without it, it replays', async () => {
    const runId = randomUUID();
    const key = `cli-dlq-${runId}`;
    const payload = {
      id: runId,
      tenantId: 'default',
      idempotencyKey: key,
      repository: 'acme/dlq',
      prNumber: null,
      title: null,
      diff: DIFF,
      scorer: 'RULES',
      traceId: null,
      createdAt: new Date().toISOString(),
    };
    const [letter] = await db.query<{ id: string }>(
      `insert into scoring.dead_letter (id, tenant_id, write, idempotency_key, payload, error_class, error_code,
         error_message, retry_count, status, created_at, updated_at)
       values ($1, 'default', 'scoring.run.create', $2, $3, 'PermanentWriteError', '23514', 'check violated', 0,
         'PENDING', now(), now()) returning id`,
      [randomUUID(), `default:${key}`, JSON.stringify(payload)],
    );
    const dry = await assay(['dlq', 'replay', '--all', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would replay 1: ${letter!.id}`));
    const [still] = await db.query<{ status: string }>(
      'select status from scoring.dead_letter where id = $1',
      [letter!.id],
    );
    assert.equal(still!.status, 'PENDING');
    assert.equal(await statusOf(runId), undefined, 'the dry run wrote nothing');

    const real = await assay(['dlq', 'replay', '--all'], env);
    assert.equal(real.code, 0, real.stderr + real.stdout);
    const [done] = await db.query<{ status: string }>(
      'select status from scoring.dead_letter where id = $1',
      [letter!.id],
    );
    assert.equal(done!.status, 'RESOLVED');
    assert.ok(await statusOf(runId), 'the replayed write created the run');
    const listed = await assay(['dlq', 'list'], env);
    assert.match(listed.stdout, /no PENDING dead letters/);
  });

  it('doctor is healthy; with PostgreSQL stopped it exits non-zero naming the database, and a score accepted before the outage exits 3', async () => {
    const healthy = await assay(['doctor'], env);
    assert.equal(healthy.code, 0, healthy.stdout);
    assert.match(healthy.stdout, /scoring database\s+ok\s+reachable, [\d.]+ ms/);
    assert.match(healthy.stdout, /^api key\s+ok\s+from \S+\/\.assay\/dev-api-key$/m, 'named by its source');

    // Accepted, then the database goes away while the model answers: the score cannot be confirmed.
    openai.enqueue({ ...LLM_SCORE, delayMs: 3000 });
    const scoring = assay(
      ['score', '--repo', repo(), '--diff-file', diffFile, '--scorer', 'LLM', '--persist-timeout', '5'],
      env,
    );
    for (let i = 0; i < 100 && !/scoring run \S+/.test(''); i++) {
      const runs = (await gql(url, '{ scoringRuns(filter: { status: [SCORING] }) { nodes { id } } }')).data!
        .scoringRuns as { nodes: unknown[] };
      if (runs.nodes.length > 0) break;
      await sleep(100);
    }
    await db.server.stop();
    try {
      const r = await scoring;
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /not confirmed as stored|not verified as stored/);

      const sick = await assay(['doctor'], env);
      assert.equal(sick.code, 1, sick.stdout);
      assert.match(sick.stdout, /scoring database\s+FAIL/);
      assert.match(sick.stdout, /^unhealthy: .*scoring database/m);
    } finally {
      await db.server.start();
    }
  });

  it('no API key handed to the CLI ever appeared in anything it printed', () => {
    assert.ok(printed.length >= 40, `${printed.length} outputs collected`);
    const everything = printed.join('\n');
    for (const key of keys) {
      assert.ok(!everything.includes(key), `a key was printed (${key.slice(0, 18)}…)`);
      const secret = /^assay_[0-9a-f]{12}_(.{43})$/.exec(key)?.[1];
      if (secret) assert.ok(!everything.includes(secret), 'the secret part of a key was printed');
    }
  });
});
