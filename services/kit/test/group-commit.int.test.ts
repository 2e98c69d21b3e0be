import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WriteDefinition } from '../src/persistence/reliable-writer.ts';
import { FaultDb, type Harness, openHarness, SCHEMA, storedNotes } from './support/fault-db.ts';
import { type Note, type NotePayload, noteWrite } from './support/note-write.ts';

// The group commit: writes that queue up for the writer's slot go out in one transaction and are
// read back together, and whatever the batch does not save and verify is done on its own.

let db: FaultDb;
let h: Harness;
before(async () => {
  db = await FaultDb.start();
  // One slot: every write asked for in the same tick joins one group commit.
  h = await openHarness({
    url: db.url,
    spoolDir: await mkdtemp(join(tmpdir(), 'assay-spool-')),
    policy: { groupSlots: 1 },
  });
});
after(async () => {
  await h?.close();
  await db?.destroy();
});

/** The note write with its read-backs counted, and a hook to alter what the batched one returns. */
function countedNotes(
  alter: (stored: Awaited<ReturnType<NonNullable<typeof noteWrite.readBackMany>>>) => void = () => {},
) {
  const calls = { readBack: 0, readBackMany: [] as number[] };
  const definition: WriteDefinition<NotePayload, Note> = {
    ...noteWrite,
    async readBack(em, p) {
      calls.readBack++;
      return noteWrite.readBack(em, p);
    },
    async readBackMany(em, payloads) {
      calls.readBackMany.push(payloads.length);
      const stored = await noteWrite.readBackMany!(em, payloads);
      alter(stored);
      return stored;
    },
  };
  return { definition, calls };
}

const notes = (prefix: string, count: number): NotePayload[] =>
  Array.from({ length: count }, (_, i) => ({ key: `${prefix}-${String(i).padStart(3, '0')}`, body: { i } }));

async function storedKeys(prefix: string): Promise<string[]> {
  return (await storedNotes(db)).filter((n) => n.key.startsWith(`${prefix}-`)).map((n) => n.key);
}

describe('group commit', () => {
  test('writes that queue up together are read back with one query, not one each', async () => {
    const { definition, calls } = countedNotes();
    const payloads = notes('together', 40);
    const results = await Promise.all(payloads.map((p) => h.writer.persist(definition, p)));
    assert.deepEqual([...new Set(results.map((r) => r.status))], ['SAVED']);
    assert.deepEqual(calls, { readBack: 0, readBackMany: [40] });
    assert.deepEqual(
      await storedKeys('together'),
      payloads.map((p) => p.key),
    );
  });

  test('a write whose batched read-back does not match is read back and decided on its own', async () => {
    const { definition, calls } = countedNotes((stored) => {
      // The batch's read-back of the third write sees another hash: it must not count as verified.
      stored[2] = { ...stored[2]!, hash: 'not-what-was-written' };
    });
    const payloads = notes('mismatch', 10);
    const results = await Promise.all(payloads.map((p) => h.writer.persist(definition, p)));
    assert.deepEqual([...new Set(results.map((r) => r.status))], ['SAVED']);
    assert.deepEqual(calls, { readBack: 1, readBackMany: [10] }, 'the mismatched write alone was read again');
    assert.deepEqual(
      await storedKeys('mismatch'),
      payloads.map((p) => p.key),
    );
  });

  test('one record the database refuses sinks none of the others: they are saved, it is dead-lettered', async () => {
    const payloads = notes('refused', 12);
    payloads[5] = { key: payloads[5]!.key, body: 'not an object' }; // the table's check refuses it
    const results = await Promise.all(payloads.map((p) => h.writer.persist(noteWrite, p)));
    assert.deepEqual(
      results.map((r) => r.status),
      payloads.map((_, i) => (i === 5 ? 'DEAD_LETTERED' : 'SAVED')),
    );
    assert.deepEqual(
      await storedKeys('refused'),
      payloads.filter((_, i) => i !== 5).map((p) => p.key),
    );
    const letters = await db.query<{ idempotency_key: string }>(
      `select idempotency_key from "${SCHEMA}"."dead_letter" where idempotency_key like 'refused-%'`,
    );
    assert.deepEqual(
      letters.map((l) => l.idempotency_key),
      [payloads[5]!.key],
    );
  });
});
