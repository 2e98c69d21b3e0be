import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLogger } from '../src/logging/logger.ts';
import { Spool, type SpoolRecord } from '../src/persistence/spool.ts';
import { runScript } from '../src/testing/processes.ts';

const log = createLogger('spool-test', 'silent');
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function freshSpool(options = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'assay-spool-'));
  dirs.push(dir);
  const spool = new Spool(dir, log, options);
  await spool.open();
  return spool;
}

const record = (i: number): SpoolRecord => ({
  id: `id-${i}`,
  write: 'test.write',
  key: `key-${i}`,
  payload: { i, text: `payload ${i}` },
  spooledAt: new Date(0).toISOString(),
  reason: 'ECONNREFUSED',
});

async function allRecords(spool: Spool) {
  await spool.seal();
  const out: SpoolRecord[] = [];
  let skipped = 0;
  for await (const segment of spool.sealedSegments()) {
    out.push(...segment.records);
    skipped += segment.skipped;
  }
  return { records: out, skipped };
}

describe('spool (real files)', () => {
  test('keeps every concurrent append, in one group-committed order, and counts its depth', async () => {
    const spool = await freshSpool();
    await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append(record(i))));
    assert.equal(spool.depth, 200);
    const { records, skipped } = await allRecords(spool);
    assert.equal(skipped, 0);
    assert.deepEqual(
      records.map((r) => r.key).sort(),
      Array.from({ length: 200 }, (_, i) => `key-${i}`).sort(),
    );
  });

  test('rotates segments and removes a replayed one durably', async () => {
    const spool = await freshSpool({ segmentRecords: 10 });
    for (let i = 0; i < 25; i++) await spool.append(record(i));
    await spool.seal();
    const names: string[] = [];
    for await (const segment of spool.sealedSegments()) names.push(segment.name);
    assert.equal(names.length, 3, 'segments of 10, 10 and 5');
    assert.deepEqual(names, [...names].sort(), 'oldest first');
    await spool.remove(names[0]!);
    assert.equal(spool.depth, 15);
    assert.ok(!(await readdir(spool.dir)).includes(names[0]!));
  });

  test('skips a torn last record (crash mid-append) and a corrupted one, and keeps the rest', async () => {
    const spool = await freshSpool();
    for (let i = 0; i < 5; i++) await spool.append(record(i));
    await spool.seal();
    const [name] = (await readdir(spool.dir)).filter((n) => n.startsWith('segment-'));
    const path = join(spool.dir, name!);
    // A bit flipped inside the second record, and half a record at the end with no newline.
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('payload 1', 'payload X');
    await writeFile(path, lines.join('\n'));
    await appendFile(path, lines[2]!.slice(0, 30));
    const reopened = new Spool(spool.dir, log);
    await spool.close();
    await reopened.open();
    assert.equal(reopened.depth, 4, 'four intact records counted after restart');
    const { records, skipped } = await allRecords(reopened);
    assert.deepEqual(
      records.map((r) => r.key),
      ['key-0', 'key-2', 'key-3', 'key-4'],
    );
    assert.equal(skipped, 2);
    // New appends never extend the torn segment.
    await reopened.append(record(9));
    assert.equal((await readdir(reopened.dir)).filter((n) => n.startsWith('segment-')).length, 2);
  });

  test('refuses a second live process on the same directory, takes over from a dead one', async () => {
    const spool = await freshSpool();
    await writeFile(join(spool.dir, 'LOCK'), '1'); // pid 1 is alive
    await assert.rejects(new Spool(spool.dir, log).open(), /in use by process 1/);
    await writeFile(join(spool.dir, 'LOCK'), '2147483646'); // no such process
    await new Spool(spool.dir, log).open();
  });

  test("processes starting together, also over a dead holder's lock: exactly one holds the spool", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assay-spool-'));
    dirs.push(dir);
    for (let round = 0; round < 4; round++) {
      // Every round after the first starts over the lock the last round's holder left by dying.
      const startAt = String(Date.now() + 2500);
      const lockers = Array.from({ length: 4 }, () =>
        runScript('services/kit/test/support/spool-locker.ts', { SPOOL_DIR: dir, START_AT: startAt }),
      );
      await Promise.all(lockers.map((l) => l.exited));
      const said = lockers.map((l) => l.output().trim()).sort();
      assert.deepEqual(said, ['busy', 'busy', 'busy', 'locked'], `round ${round}`);
    }
  });
});
