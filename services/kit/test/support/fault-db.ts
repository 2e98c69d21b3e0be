import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { AuditEntry } from '../../src/audit/audit-entry.entity.ts';
import { Migration20261206000010AuditLog } from '../../src/audit/audit-log.migration.ts';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.ts';
import { createOrm, type MikroORM, migrate } from '../../src/database/orm.ts';
import { failureOutboxSql } from '../../src/failures/failure-outbox.ts';
import { DeadLetter } from '../../src/persistence/dead-letter.entity.ts';
import { Migration20261123000000DeadLetters } from '../../src/persistence/dead-letter.migration.ts';
import { ReliableWriter } from '../../src/persistence/reliable-writer.ts';
import { Spool } from '../../src/persistence/spool.ts';
import { SpoolReplayer } from '../../src/persistence/spool-replayer.ts';
import type { WritePolicyOptions } from '../../src/persistence/write-policy.ts';
import { freePort } from '../../src/testing/processes.ts';
import { Migration20261123000001Notes, Note, noteWrite } from './note-write.ts';

export const SCHEMA = 'kit_test';
/** The failure outbox a harness opened with `failureOutbox` reports to. */
export const OUTBOX = `"${SCHEMA}"."failure_outbox"`;

/**
 * A PostgreSQL server that belongs to one test file, so the test can stop, start, kill it and
 * terminate its connections without disturbing any other file's database.
 */
export class FaultDb {
  private constructor(
    readonly server: EmbeddedPostgres,
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<FaultDb> {
    const dir = await mkdtemp(join(tmpdir(), 'assay-fault-'));
    await chmod(dir, 0o755); // as root, the server runs as the postgres user
    const port = await freePort();
    const server = new EmbeddedPostgres({ dataDir: join(dir, 'pg'), port });
    await server.initialise();
    await server.start();
    return new FaultDb(server, dir, port);
  }

  get url(): string {
    return this.server.url;
  }

  /** Runs SQL on a connection of its own (parameterised). */
  async query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Ends every other connection to the server; returns how many were ended. */
  async terminateBackends(): Promise<number> {
    const rows = await this.query<{ n: string }>(
      `select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity
        where backend_type = 'client backend' and pid <> pg_backend_pid()`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async destroy(): Promise<void> {
    await this.server.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface Harness {
  orm: MikroORM;
  spool: Spool;
  writer: ReliableWriter;
  replayer: SpoolReplayer;
  /** Log lines (parsed JSON) the writer, spool and replayer wrote. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Test policy: quick retries and a quick half-open, so faults settle in seconds. */
export const TEST_POLICY: WritePolicyOptions = {
  timeoutMs: 3000,
  retries: 3,
  retryBaseMs: 20,
  retryMaxMs: 200,
  breakerThreshold: 5,
  breakerHalfOpenMs: 500,
  concurrency: 8,
};

/** A writer for the note table, as a service wires one: ORM, spool, writer, replayer. */
export async function openHarness(options: {
  url: string;
  spoolDir: string;
  policy?: Partial<WritePolicyOptions>;
  migrate?: boolean;
  poolMax?: number;
  connectTimeoutMs?: number;
  segmentRecords?: number;
  /** Give the writer a failure outbox (created here) that dead letters report to. */
  failureOutbox?: boolean;
}): Promise<Harness> {
  const logs: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const orm = await createOrm({
    url: options.url,
    schema: SCHEMA,
    entities: [Note, DeadLetter, AuditEntry],
    migrations: [
      Migration20261123000001Notes,
      Migration20261123000000DeadLetters,
      Migration20261206000010AuditLog,
    ],
    connectTimeoutMs: options.connectTimeoutMs ?? 1000,
    poolMax: options.poolMax ?? 10,
  });
  if (options.migrate ?? true) await migrate(orm);
  const spool = new Spool(options.spoolDir, log, { segmentRecords: options.segmentRecords ?? 200 });
  await spool.open();
  if (options.failureOutbox) {
    await orm.em
      .getConnection()
      .execute(
        failureOutboxSql(SCHEMA)
          .replaceAll('create table', 'create table if not exists')
          .replaceAll('create index', 'create index if not exists'),
      );
  }
  const writer = new ReliableWriter({
    orm,
    spool,
    log,
    policy: { ...TEST_POLICY, ...options.policy },
    ...(options.failureOutbox ? { failureOutbox: { service: 'kit-test', table: OUTBOX } } : {}),
  });
  writer.register(noteWrite);
  const replayer = new SpoolReplayer(writer, log, { intervalMs: 200 });
  return {
    orm,
    spool,
    writer,
    replayer,
    logs,
    async close() {
      await replayer.stop();
      await spool.close();
      await orm.close(true);
    },
  };
}

/** What the table holds, checked row by row: each stored hash is the hash of the stored content. */
export async function storedNotes(
  db: FaultDb,
): Promise<{ key: string; body: unknown; content_hash: string }[]> {
  return db.query(`select key, body, content_hash from "${SCHEMA}"."note" order by key`);
}
