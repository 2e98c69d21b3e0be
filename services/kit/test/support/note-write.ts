import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '../../src/database/orm.ts';
import { readBackOf, type Stored, type WriteDefinition } from '../../src/persistence/reliable-writer.ts';

/** A minimal row for the write-path tests: unique by key, a JSONB body the database checks. */
@Entity({ tableName: 'note' })
export class Note {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  key!: string;

  @Property({ type: 'jsonb' })
  body!: unknown;

  @Property({ type: 'text' })
  contentHash!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

export class Migration20261123000001Notes extends Migration {
  override up(): void {
    const schema = this.config.get('schema');
    this.addSql(`
      create table "${schema}"."note" (
        "id" uuid primary key,
        "key" text not null unique,
        -- A body that is not an object is a permanent error (23514): the dead-letter path.
        "body" jsonb not null check (jsonb_typeof("body") = 'object'),
        "content_hash" text not null,
        "created_at" timestamptz not null
      );
    `);
  }
}

export interface NotePayload {
  key: string;
  body: unknown;
  /** Whose note it is (its dead letter's tenant): `default` unless a test says otherwise. */
  tenantId?: string;
}

/** The notes stored under the payloads' keys, in their order. */
async function readNotes(em: EntityManager, payloads: NotePayload[]): Promise<(Stored<Note> | null)[]> {
  const notes = await em.find(Note, { key: { $in: payloads.map((p) => p.key) } });
  const byKey = new Map(notes.map((note) => [note.key, note]));
  return payloads.map((p) => {
    const note = byKey.get(p.key);
    return note
      ? { result: note, content: { key: note.key, body: note.body }, hash: note.contentHash }
      : null;
  });
}

export const noteWrite: WriteDefinition<NotePayload, Note> = {
  name: 'test.note',
  key: (p) => p.key,
  tenant: (p) => ({ tenantId: p.tenantId ?? 'default' }),
  content: (p) => ({ key: p.key, body: p.body }),
  async write(em, p, hash) {
    await em
      .createQueryBuilder(Note)
      .insert({ id: randomUUID(), key: p.key, body: p.body, contentHash: hash, createdAt: new Date() })
      .onConflict(['key'])
      .ignore()
      .execute();
  },
  readBack: readBackOf(readNotes),
  readBackMany: readNotes,
};
