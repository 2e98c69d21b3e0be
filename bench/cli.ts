// The `assay` command's own cost, on the whole system started here (on an embedded PostgreSQL):
//  1. `assay --help` start-up, against the floor of a bare `node -e 0` and of Node with the repo's
//     TypeScript hook (`--import register.mjs`), measured in the same run.
//  2. `assay score` of a RULES run, invocation to exit (new diff each time, so each really scores;
//     stdout not a TTY), against the same run driven from inside this process (start + poll until
//     verified): the difference is Node start-up, the CLI and its subscription.
//   npm run bench -- cli [--count 20]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { gql, runScript, systemPorts } from '@assay/kit/testing';
import { FaultDb } from '../services/kit/test/support/fault-db.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '20' } } });
const COUNT = Number(values.count);
const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'services/cli/bin/assay.mjs');
const REGISTER = join(ROOT, 'services/kit/register.mjs');
const diff = (i: number) =>
  `diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+export const v${i} = ${i};\n`;

function timed(args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const t = performance.now();
  const child = spawn(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - t) : reject(new Error(`${args.join(' ')}: exit ${code}`)),
    ),
  );
}

async function sample(n: number, run: (i: number) => Promise<number>): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push(await run(i));
  ms.sort((a, b) => a - b);
  return `p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms`;
}

const dir = await mkdtemp(join(tmpdir(), 'assay-bench-cli-'));
const ports = await systemPorts();
const db = await FaultDb.start();
const system = runScript('scripts/start.ts', {
  DATABASE_URL: db.url,
  ASSAY_DATA_DIR: join(dir, 'data'),
  ...ports,
});
try {
  const url = (await system.waitFor(/Assay is ready: (\S+)/, 120_000))[1]!;
  await timed([BIN, '--help']); // warm the file cache
  console.log(`node -e 0 (floor):                ${await sample(COUNT, () => timed(['-e', '0']))}`);
  console.log(
    `node + TypeScript hook (floor):   ${await sample(COUNT, () => timed(['--import', REGISTER, '-e', '0']))}`,
  );
  console.log(`assay --help:                     ${await sample(COUNT, () => timed([BIN, '--help']))}`);

  let n = 0;
  const files = await Promise.all(
    Array.from({ length: COUNT * 2 + 2 }, async (_, i) => {
      const file = join(dir, `${i}.diff`);
      await writeFile(file, diff(i));
      return file;
    }),
  );
  await timed([BIN, 'score', '--repo', 'bench/cli', '--diff-file', files[n++]!], { ASSAY_URL: url }); // warm-up
  const inProcess = await sample(COUNT, async () => {
    const t = performance.now();
    const started = await gql(
      url,
      'mutation($d: String!) { startScoringRun(input: { subject: { repository: "bench/api", diff: $d } }) { id } }',
      { d: diff(10_000 + n++) },
    );
    const id = started.data!.startScoringRun.id;
    for (;;) {
      const run = (
        await gql(url, 'query($id: ID!) { scoringRun(id: $id) { persistence score { verifiedAt } } }', { id })
      ).data!.scoringRun;
      if (run.persistence === 'VERIFIED' && run.score?.verifiedAt) break;
      await sleep(5);
    }
    return performance.now() - t;
  });
  console.log(`RULES run in-process (floor):     ${inProcess}`);
  console.log(
    `assay score (RULES), to exit:     ${await sample(COUNT, () => timed([BIN, 'score', '--repo', 'bench/cli', '--diff-file', files[n++]!], { ASSAY_URL: url }))}`,
  );
} finally {
  system.child.kill('SIGTERM');
  await system.exited;
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
}
