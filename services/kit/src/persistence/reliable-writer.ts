import { randomUUID } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { type Context, context, SpanStatusCode, trace } from '@opentelemetry/api';
import { DEFAULT_TENANT } from '../auth/caller.ts';
import { execute } from '../database/parameterised.ts';
import { failureReport, writeFailure } from '../failures/failure-outbox.ts';
import type { Logger } from '../logging/logger.ts';
import { classifyDbError } from './classify-error.ts';
import { contentHash } from './content-hash.ts';
import { DeadLetter } from './dead-letter.entity.ts';
import { IdempotencyConflictError, PermanentWriteError, VerificationError } from './persistence-error.ts';
import type { Spool, SpoolRecord } from './spool.ts';
import { type TenantRef, tenantValue } from './tenant-ref.ts';
import { BREAKER_STATE, createWriteMetrics, type WriteMetrics } from './write-metrics.ts';
import {
  CircuitState,
  createWritePolicy,
  DEFAULT_WRITE_POLICY,
  isBreakerOpen,
  isTransient,
  type WritePolicy,
  type WritePolicyOptions,
} from './write-policy.ts';

/**
 * A write that must not be lost, described so it can be replayed from the spool by name: the
 * payload is plain JSON, and the write is idempotent by `key`.
 */
export interface WriteDefinition<P, R> {
  /** Unique per service; stored with spooled records and dead letters. */
  name: string;
  /** The idempotency key: the same key is the same write, however often it is attempted. */
  key(payload: P): string;
  /** Whose data it is: the tenant its dead letter belongs to if it fails for good. */
  tenant(payload: P): TenantRef;
  /**
   * Optional: writes with the same order key (a run's id, say) are applied in the order they were
   * made, spooled or not. While any of them waits in the spool, a new one is spooled behind it
   * instead of overtaking it, and the replayer applies them one after another.
   */
  orderKey?(payload: P): string;
  /** What must end up stored, as plain data; its SHA-256 is stored with the row and checked after commit. */
  content(payload: P): unknown;
  /**
   * Inside a transaction: store the content with `hash`, or do nothing when a row with the key exists
   * (for example `insert … on conflict do nothing`), so a retry after a lost commit acknowledgement
   * finds the first attempt's row instead of writing a second.
   */
  write(em: EntityManager, payload: P, hash: string): Promise<void>;
  /** After commit, on a fresh EntityManager: what is stored under the key, or null. */
  readBack(em: EntityManager, payload: P): Promise<Stored<R> | null>;
  /**
   * Optional: `readBack` of many payloads with one query, in their order (null where nothing is
   * stored). A group commit reads its writes of this kind back with it instead of one query each.
   */
  readBackMany?(em: EntityManager, payloads: P[]): Promise<(Stored<R> | null)[]>;
  /**
   * Optional, idempotent: once the read-back matched (after a replay too), records that fact on the
   * stored rows. It runs on a fresh EntityManager outside any transaction, so it must be one
   * statement (atomic by itself): a mark is a fact already true, and committing it late is harmless,
   * so it needs neither a transaction of its own nor the write's server-side bounds (two round trips
   * each). If it fails, the attempt fails and is retried.
   */
  markVerified?(em: EntityManager, payload: P, stored: Stored<R>): Promise<void>;
  /** Optional: `markVerified` of many writes at once (one statement too), for a group commit. */
  markVerifiedMany?(em: EntityManager, verified: { payload: P; stored: Stored<R> }[]): Promise<void>;
}

/** A `readBack` made of a `readBackMany`, so a definition says how to read its rows once. */
export const readBackOf =
  <P, R>(readBackMany: (em: EntityManager, payloads: P[]) => Promise<(Stored<R> | null)[]>) =>
  async (em: EntityManager, payload: P): Promise<Stored<R> | null> =>
    (await readBackMany(em, [payload]))[0] ?? null;

export interface Stored<R> {
  result: R;
  /** The stored content, in the same shape as `content(payload)`. */
  content: unknown;
  /** The hash stored with it. */
  hash: string;
}

export type ReplayListener<P, R> = (payload: P, result: R) => Promise<void> | void;

export type PersistResult<R> =
  | { status: 'SAVED'; result: R; hash: string }
  /** The database is away: the write is on the local disk and will be replayed. */
  | { status: 'SPOOLED'; spoolId: string; reason: string }
  /** The write can never succeed as it is: kept with its payload in the dead letters. */
  | { status: 'DEAD_LETTERED'; error: PermanentWriteError };

/** What replaying one record came to. */
export type ReplayResult =
  | { status: 'SAVED' }
  /** The database is still away: keep the record. */
  | { status: 'UNAVAILABLE'; reason: string }
  /** It failed for good and is in the dead letters under its (write, key). */
  | { status: 'DEAD_LETTERED'; error: PermanentWriteError };

const DEAD_LETTER_WRITE = 'kit.dead_letter';

/** Most writes one group commit takes. */
const MAX_BATCH = 64;

/** A write waiting for a slot of the writer. */
interface Queued {
  definition: WriteDefinition<unknown, unknown>;
  payload: unknown;
  /** The caller's trace context: the write's span belongs to the caller's trace. */
  parent: Context;
  /** Saved and verified in a group commit. */
  stored(stored: Stored<unknown>): void;
  /** Not (alone, or the group commit did not save and verify it): the write on its own, settled. */
  alone(): Promise<void>;
}

interface DeadLetterPayload {
  /** Absent from letters spooled before tenancy: those are the operator's tenant's. */
  tenant?: TenantRef;
  write: string;
  key: string;
  payload: unknown;
  errorClass: string;
  errorCode: string;
  errorMessage: string;
  retryCount: number;
}

export interface ReliableWriterOptions {
  orm: MikroORM;
  spool: Spool;
  log: Logger;
  policy?: Partial<WritePolicyOptions>;
  /**
   * The service's failure outbox: each dead letter also reports a failure (WRITE_FAILED) there, in
   * the dead letter's own transaction, so the failure catalog sees it.
   */
  failureOutbox?: { service: string; table: string };
}

/**
 * The one way a service writes what matters: idempotent, retried, breaker-guarded, verified by
 * reading it back, and spooled when the database is away. Nothing it accepts is lost or doubled.
 */
export class ReliableWriter {
  readonly policy: WritePolicy;
  private readonly definitions = new Map<string, WriteDefinition<unknown, unknown>>();
  private readonly replayListeners = new Map<string, ReplayListener<unknown, unknown>[]>();
  private readonly metrics: WriteMetrics;
  private readonly tracer = trace.getTracer('assay-persist');

  constructor(private readonly options: ReliableWriterOptions) {
    this.policy = createWritePolicy({ ...DEFAULT_WRITE_POLICY, ...options.policy }, options.log);
    this.metrics = createWriteMetrics({
      spoolDepth: () => options.spool.depth,
      spoolQuarantined: () => options.spool.quarantinedDepth,
      breakerState: () => BREAKER_STATE[breakerStateName(this.policy.state)],
    });
    this.policy.retries.onRetry((event) => {
      const code = 'error' in event ? classifyDbError(event.error).code : 'UNKNOWN';
      options.log.debug({ attempt: event.attempt, code, delayMs: Math.round(event.delay) }, 'write retried');
    });
    this.deadLetterWrite = deadLetterWriteFor(options.failureOutbox);
    this.register(this.deadLetterWrite);
  }

  private readonly deadLetterWrite: WriteDefinition<DeadLetterPayload, DeadLetter>;

  get spool(): Spool {
    return this.options.spool;
  }

  /** Whether a write of this name can be replayed here. */
  knows(write: string): boolean {
    return this.definitions.has(write);
  }

  register<P, R>(definition: WriteDefinition<P, R>): WriteDefinition<P, R> {
    if (this.definitions.has(definition.name))
      throw new Error(`write ${definition.name} is registered twice`);
    this.definitions.set(definition.name, definition as WriteDefinition<unknown, unknown>);
    return definition;
  }

  /**
   * Called once a spooled write of this kind has been replayed and verified, with its payload and
   * stored result: what the caller would have done had it been saved at once (tell subscribers, say).
   * A listener that fails is logged; the record counts as replayed.
   */
  onReplayed<P, R>(definition: WriteDefinition<P, R>, listener: ReplayListener<P, R>): void {
    const listeners = this.replayListeners.get(definition.name) ?? [];
    listeners.push(listener as ReplayListener<unknown, unknown>);
    this.replayListeners.set(definition.name, listeners);
  }

  /**
   * Persists a payload. Resolves `SAVED` after a verified commit, `SPOOLED` when the database stays
   * unreachable (or the breaker is open), `DEAD_LETTERED` on a permanent error. Rejects only with
   * an IdempotencyConflictError (the key holds other content) or when even the spool fails.
   */
  async persist<P, R>(definition: WriteDefinition<P, R>, payload: P): Promise<PersistResult<R>> {
    const startedAt = performance.now();
    const order = definition.orderKey?.(payload);
    if (order !== undefined && this.options.spool.hasPending(order)) {
      // An earlier write of the same order key is still spooled: this one must not overtake it.
      return this.spoolWrite(definition, payload, 'BEHIND_SPOOLED', startedAt);
    }
    return new Promise<PersistResult<R>>((resolve, reject) => {
      this.enqueue({
        definition: definition as WriteDefinition<unknown, unknown>,
        payload,
        parent: context.active(),
        stored: (stored) => {
          this.metrics.count(definition.name, 'saved');
          this.metrics.observe(definition.name, 'saved', startedAt);
          resolve({ status: 'SAVED', result: stored.result as R, hash: stored.hash });
        },
        alone: () => this.persistAlone(definition, payload, startedAt).then(resolve, reject),
      });
    });
  }

  private enqueue(item: Queued): void {
    this.queue.push(item);
    if (this.pumpScheduled) return;
    // Writes asked for in the same tick go out together.
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Writes waiting for a slot: each slot takes all of them (up to `MAX_BATCH`) as one group commit. */
  private readonly queue: Queued[] = [];
  private pumpScheduled = false;
  private unitsInFlight = 0;

  private pump(): void {
    const { concurrency, groupSlots } = this.policy.options;
    const slots = Math.max(1, Math.min(concurrency, groupSlots ?? 2));
    while (this.unitsInFlight < slots && this.queue.length > 0) {
      const items = this.queue.splice(0, MAX_BATCH);
      this.unitsInFlight++;
      this.runUnit(items).finally(() => {
        this.unitsInFlight--;
        this.pump();
      });
    }
  }

  /**
   * One slot's writes: alone, or while the breaker is not closed, each on its own as always; together,
   * in one transaction (one commit, one fsync) verified after it, and every write the batch did not
   * save and verify (the batch failed, or that write's read-back did not match) is then written on
   * its own under the full policy, so one bad record never sinks the others and retries, the breaker,
   * the spool and dead letters treat each write exactly as they would have without the batch.
   */
  private async runUnit(items: Queued[]): Promise<void> {
    let rest = items;
    if (items.length > 1 && this.policy.state === CircuitState.Closed) {
      const saved = await this.policy.batch
        .execute(() => this.attemptBatch(items))
        .catch(() => items.map(() => null));
      rest = [];
      for (const [i, item] of items.entries()) {
        const stored = saved[i];
        if (stored) item.stored(stored);
        else rest.push(item);
      }
    }
    // On their own: one after another within an order key (in the order they were made), the
    // order keys side by side.
    const lanes = new Map<string, Queued[]>();
    for (const [i, item] of rest.entries()) {
      const order = item.definition.orderKey?.(item.payload) ?? `#${i}`;
      lanes.set(order, [...(lanes.get(order) ?? []), item]);
    }
    await Promise.all(
      [...lanes.values()].map(async (lane) => {
        for (const item of lane) await item.alone();
      }),
    );
  }

  /**
   * A group commit: every write in one transaction, then each read back and verified, then the
   * verified marks (one statement per kind of write). Per write, its stored row once verified (and
   * marked), or null when this write must be done on its own.
   */
  private attemptBatch(items: Queued[]): Promise<(Stored<unknown> | null)[]> {
    const spans = items.map((item) =>
      this.tracer.startSpan(
        `persist ${item.definition.name}`,
        {
          attributes: {
            'assay.write': item.definition.name,
            'assay.write.attempt': 1,
            'assay.write.batch_size': items.length,
          },
        },
        item.parent,
      ),
    );
    const results: (Stored<unknown> | null)[] = items.map(() => null);
    return context.with(trace.setSpan(items[0]!.parent, spans[0]!), async () => {
      try {
        const hashes = items.map((item) => contentHash(item.definition.content(item.payload)));
        await this.transaction(async (em) => {
          for (const [i, item] of items.entries()) await item.definition.write(em, item.payload, hashes[i]!);
        });
        const read = await this.readBackAll(items);
        for (const [i, item] of items.entries()) {
          try {
            verify(item.definition, item.payload, hashes[i]!, read[i] ?? null);
            results[i] = read[i]!;
          } catch {
            // A mismatch or another write's content under the key: decided on its own (below).
          }
        }
        const marks = byDefinition(items, (item, i) => !!results[i] && !!item.definition.markVerified);
        for (const [definition, indices] of marks) {
          const em = this.options.orm.em.fork() as EntityManager;
          const verified = indices.map((i) => ({ payload: items[i]!.payload, stored: results[i]! }));
          if (definition.markVerifiedMany && verified.length > 1) {
            await definition.markVerifiedMany(em, verified);
          } else {
            for (const v of verified) await definition.markVerified!(em, v.payload, v.stored);
          }
        }
        return results;
      } catch (error) {
        // Not retried as a batch: every write of it is done on its own.
        results.fill(null);
        for (const span of spans) span.recordException(error as Error);
        return results;
      } finally {
        for (const [i, span] of spans.entries()) {
          span.setAttribute('assay.write.outcome', results[i] ? 'saved' : 'batch_fallback');
          span.end();
        }
      }
    });
  }

  /**
   * A group commit's writes read back after its commit: one query per kind of write that can read
   * many (`readBackMany`), otherwise one each, each on a fresh EntityManager as a single write's.
   */
  private async readBackAll(items: Queued[]): Promise<(Stored<unknown> | null)[]> {
    const read: (Stored<unknown> | null)[] = items.map(() => null);
    for (const [definition, indices] of byDefinition(items)) {
      const payloads = indices.map((i) => items[i]!.payload);
      const fork = () => this.options.orm.em.fork() as EntityManager;
      const rows =
        definition.readBackMany && payloads.length > 1
          ? await definition.readBackMany(fork(), payloads)
          : await sequentially(payloads, (payload) => definition.readBack(fork(), payload));
      if (rows.length !== payloads.length) {
        throw new Error(`${definition.name}: read back ${rows.length} rows for ${payloads.length} writes`);
      }
      for (const [j, i] of indices.entries()) read[i] = rows[j] ?? null;
    }
    return read;
  }

  /** One write on its own under the full policy: retried, breaker-guarded, spooled or dead-lettered. */
  private async persistAlone<P, R>(
    definition: WriteDefinition<P, R>,
    payload: P,
    startedAt: number,
  ): Promise<PersistResult<R>> {
    const order = definition.orderKey?.(payload);
    if (order !== undefined && this.options.spool.hasPending(order)) {
      // An earlier write of the same order key was spooled meanwhile: this one must not overtake it.
      return this.spoolWrite(definition, payload, 'BEHIND_SPOOLED', startedAt);
    }
    const outcome = await this.tryWrite(definition, payload);
    if (outcome.ok) {
      this.metrics.count(definition.name, 'saved');
      this.metrics.observe(definition.name, 'saved', startedAt);
      return { status: 'SAVED', result: outcome.stored.result, hash: outcome.stored.hash };
    }
    if (outcome.transient) return this.spoolWrite(definition, payload, outcome.code, startedAt);
    const error = await this.deadLetter(definition, payload, outcome.error, outcome.attempts);
    this.metrics.observe(definition.name, 'dead_lettered', startedAt);
    return { status: 'DEAD_LETTERED', error };
  }

  private async spoolWrite<P, R>(
    definition: WriteDefinition<P, R>,
    payload: P,
    reason: string,
    startedAt: number,
  ): Promise<PersistResult<R>> {
    const spoolId = randomUUID();
    await this.options.spool.append(spoolRecord(spoolId, definition, payload, reason));
    this.options.log.warn({ write: definition.name, reason }, 'write spooled');
    this.metrics.count(definition.name, 'spooled');
    this.metrics.observe(definition.name, 'spooled', startedAt);
    return { status: 'SPOOLED', spoolId, reason };
  }

  /** Replays one spooled (or dead-lettered) record; `UNAVAILABLE` when the database is still away. */
  async replay(record: SpoolRecord): Promise<ReplayResult> {
    const definition = this.definitions.get(record.write);
    if (!definition) {
      const error = new PermanentWriteError(`no write named ${record.write} is registered`, 'UNKNOWN_WRITE');
      // No definition to say whose it is: the operator's tenant, where unattributable data goes.
      const tenant = { tenantId: DEFAULT_TENANT };
      await this.deadLetterOrThrow(tenant, record.write, record.key, record.payload, error, 0);
      return { status: 'DEAD_LETTERED', error };
    }
    return new Promise<ReplayResult>((resolve, reject) => {
      this.enqueue({
        definition,
        payload: record.payload,
        parent: context.active(),
        stored: (stored) => {
          this.replayed(definition, record, stored).then(resolve, reject);
        },
        alone: () => this.replayAlone(definition, record).then(resolve, reject),
      });
    });
  }

  /** A replayed record stored and verified: counted, and handed to the write's listeners. */
  private async replayed(
    definition: WriteDefinition<unknown, unknown>,
    record: SpoolRecord,
    stored: Stored<unknown>,
  ): Promise<ReplayResult> {
    this.metrics.count(definition.name, 'replayed');
    for (const listener of this.replayListeners.get(definition.name) ?? []) {
      try {
        await listener(record.payload, stored.result);
      } catch (error) {
        this.options.log.warn({ write: definition.name, err: error }, 'replay listener failed');
      }
    }
    return { status: 'SAVED' };
  }

  /** One record replayed on its own under the full policy. */
  private async replayAlone(
    definition: WriteDefinition<unknown, unknown>,
    record: SpoolRecord,
  ): Promise<ReplayResult> {
    const outcome = await this.tryWrite(definition, record.payload).catch((error: unknown) => {
      // Two records spooled under one key with different content: the first one stored wins.
      if (!(error instanceof IdempotencyConflictError)) throw error;
      return {
        ok: false as const,
        transient: false as const,
        attempts: 1,
        error: new PermanentWriteError(error.message, error.code),
      };
    });
    if (outcome.ok) return this.replayed(definition, record, outcome.stored);
    if (outcome.transient) return { status: 'UNAVAILABLE', reason: outcome.code };
    await this.deadLetterOrThrow(
      definition.tenant(record.payload),
      definition.name,
      definition.key(record.payload),
      record.payload,
      outcome.error,
      outcome.attempts,
    );
    return { status: 'DEAD_LETTERED', error: outcome.error };
  }

  /** Every attempt under the shared policy; the classified outcome, never a thrown database error. */
  private async tryWrite<P, R>(
    definition: WriteDefinition<P, R>,
    payload: P,
  ): Promise<
    | { ok: true; stored: Stored<R> }
    | { ok: false; transient: true; code: string }
    | { ok: false; transient: false; error: PermanentWriteError; attempts: number }
  > {
    const hash = contentHash(definition.content(payload));
    let attempts = 0;
    try {
      const stored = await this.policy.policy.execute(() => {
        attempts++;
        return this.attempt(definition, payload, hash, attempts);
      });
      return { ok: true, stored };
    } catch (error) {
      if (error instanceof IdempotencyConflictError) throw error;
      if (isBreakerOpen(error)) return { ok: false, transient: true, code: 'BREAKER_OPEN' };
      if (isTransient(error)) return { ok: false, transient: true, code: classifyDbError(error).code };
      // A mismatch is the database answering with something else than was sent (a lone surrogate
      // stored as U+FFFD, say): the same record would mismatch again, so it is not retried or spooled.
      const code = error instanceof VerificationError ? error.code : classifyDbError(error).code;
      return {
        ok: false,
        transient: false,
        attempts,
        error: new PermanentWriteError(safeMessage(error), code, { cause: error }),
      };
    }
  }

  /** One attempt: a transaction on a forked EntityManager, then a read-back on another. */
  private attempt<P, R>(
    definition: WriteDefinition<P, R>,
    payload: P,
    hash: string,
    attempt: number,
  ): Promise<Stored<R>> {
    return this.tracer.startActiveSpan(`persist ${definition.name}`, async (span) => {
      span.setAttributes({ 'assay.write': definition.name, 'assay.write.attempt': attempt });
      try {
        await this.transaction((em) => definition.write(em, payload, hash));
        const stored = await definition.readBack(this.options.orm.em.fork() as EntityManager, payload);
        verify(definition, payload, hash, stored);
        await definition.markVerified?.(this.options.orm.em.fork() as EntityManager, payload, stored!);
        span.setAttribute('assay.write.outcome', 'saved');
        if (attempt > 1) this.metrics.count(definition.name, 'retried');
        return stored!;
      } catch (error) {
        const verification = error instanceof VerificationError;
        if (verification) this.metrics.count(definition.name, 'verification_failed');
        const classified = classifyDbError(error);
        span.setAttributes({
          'assay.write.outcome': verification ? 'verification_failed' : 'failed',
          'assay.write.error_class': verification ? 'verification' : classified.errorClass,
          'error.type': verification ? 'VERIFICATION_FAILED' : classified.code,
        });
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /**
   * A transaction bounded on the server below the attempt's timeout: an attempt the policy gives up
   * on (a held lock, a slow disk) is cancelled by PostgreSQL too, instead of holding its pool
   * connection and committing after the caller was told SPOOLED.
   */
  private transaction(work: (em: EntityManager) => Promise<void>): Promise<void> {
    const { statementMs, lockMs } = serverBounds(this.policy.options.timeoutMs);
    return this.options.orm.em.fork().transactional(async (em) => {
      await execute(
        em as EntityManager,
        "select set_config('statement_timeout', ?, true), set_config('lock_timeout', ?, true)",
        [`${statementMs}ms`, `${lockMs}ms`],
      );
      await work(em as EntityManager);
    });
  }

  private async deadLetter<P, R>(
    definition: WriteDefinition<P, R>,
    payload: P,
    error: PermanentWriteError,
    attempts: number,
  ): Promise<PermanentWriteError> {
    this.options.log.error(
      { write: definition.name, code: error.reason },
      'write failed permanently: dead-lettered',
    );
    this.metrics.count(definition.name, 'dead_lettered');
    await this.deadLetterOrThrow(
      definition.tenant(payload),
      definition.name,
      definition.key(payload),
      payload,
      error,
      attempts,
    );
    return error;
  }

  /** Dead letters go through the same path: if the database takes no dead letter either, the spool does. */
  private async deadLetterOrThrow(
    tenant: TenantRef,
    write: string,
    key: string,
    payload: unknown,
    error: PermanentWriteError,
    attempts: number,
  ) {
    // The letter must be storable even when its record was refused for its content: characters
    // PostgreSQL cannot keep are written out as escapes (the letter is for people to read and fix).
    const letter: DeadLetterPayload = {
      tenant,
      write,
      key: storable(key),
      payload: storable(payload),
      errorClass: 'permanent',
      errorCode: error.reason,
      errorMessage: storable(error.message),
      retryCount: Math.max(0, attempts - 1),
    };
    const outcome = await this.tryWrite(this.deadLetterWrite, letter);
    if (outcome.ok) return;
    if (outcome.transient) {
      await this.options.spool.append(spoolRecord(randomUUID(), this.deadLetterWrite, letter, outcome.code));
      return;
    }
    // Refused for good: a letter re-spooled would be refused again on every pass. Quarantined on
    // disk instead, where `npm run spool -- list` and the quarantine gauge show it.
    this.options.log.error({ write, code: outcome.error.reason }, 'dead letter refused: quarantined');
    await this.options.spool.quarantine(
      spoolRecord(randomUUID(), this.deadLetterWrite, letter, outcome.error.reason),
    );
  }
}

/** The indices of the items (those `keep` holds for), grouped by their write definition, in order. */
function byDefinition(
  items: Queued[],
  keep: (item: Queued, index: number) => boolean = () => true,
): Map<WriteDefinition<unknown, unknown>, number[]> {
  const groups = new Map<WriteDefinition<unknown, unknown>, number[]>();
  for (const [i, item] of items.entries()) {
    if (!keep(item, i)) continue;
    const group = groups.get(item.definition);
    if (group) group.push(i);
    else groups.set(item.definition, [i]);
  }
  return groups;
}

async function sequentially<T, U>(values: T[], each: (value: T) => Promise<U>): Promise<U[]> {
  const out: U[] = [];
  for (const value of values) out.push(await each(value));
  return out;
}

function verify<P, R>(
  definition: WriteDefinition<P, R>,
  payload: P,
  hash: string,
  stored: Stored<R> | null,
): void {
  if (!stored) throw new VerificationError(`${definition.name}: nothing stored under the key after commit`);
  const storedContentHash = contentHash(stored.content);
  if (stored.hash !== hash && storedContentHash === stored.hash) {
    // Intact, but someone else's content: the key was reused.
    throw new IdempotencyConflictError(definition.key(payload));
  }
  if (stored.hash !== hash || storedContentHash !== hash) {
    throw new VerificationError(`${definition.name}: the stored row does not match what was written`);
  }
}

function spoolRecord<P>(
  id: string,
  definition: WriteDefinition<P, unknown>,
  payload: P,
  reason: string,
): SpoolRecord {
  const order = definition.orderKey?.(payload);
  return {
    id,
    write: definition.name,
    key: definition.key(payload),
    ...(order !== undefined ? { order } : {}),
    payload,
    spooledAt: new Date().toISOString(),
    reason,
  };
}

/** Server-side bounds of one attempt: a statement ends before the attempt's own timeout. */
export function serverBounds(timeoutMs: number): { statementMs: number; lockMs: number } {
  return {
    statementMs: Math.max(50, Math.floor(timeoutMs * 0.6)),
    lockMs: Math.max(25, Math.floor(timeoutMs * 0.4)),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what PostgreSQL refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A copy PostgreSQL can store exactly: U+0000 and lone surrogates written out as `\uXXXX`. */
function storable<T>(value: T): T {
  if (typeof value === 'string')
    return value.replace(UNSTORABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)])) as T;
  }
  return value;
}

/**
 * MikroORM prefixes driver errors with the SQL, values inlined; keep only the server's message, so
 * a dead letter's message and the logs never repeat the payload.
 */
function safeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const server = message.split(' - ').pop() ?? message;
  return server.slice(0, 500);
}

/** The breaker's state by name, for /readyz and the gauge. */
export function breakerStateName(state: CircuitState): keyof typeof BREAKER_STATE {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half_open';
    case CircuitState.Open:
      return 'open';
    default:
      return 'isolated';
  }
}

const letterTenant = (p: DeadLetterPayload): TenantRef => p.tenant ?? { tenantId: DEFAULT_TENANT };

/**
 * Dead letters are written idempotently too: one per (write, key), and with it (when the service
 * has an outbox) one failure report, whose id comes from the same (write, key).
 */
const deadLetterWriteFor = (
  outbox: ReliableWriterOptions['failureOutbox'],
): WriteDefinition<DeadLetterPayload, DeadLetter> => ({
  name: DEAD_LETTER_WRITE,
  key: (p) => `${p.write}:${p.key}`,
  tenant: letterTenant,
  content: (p) => ({ write: p.write, key: p.key, payload: p.payload }),
  async write(em, p) {
    if (outbox) {
      await writeFailure(
        em,
        outbox.table,
        failureReport({
          service: outbox.service,
          runId: null,
          stage: 'dead-letter',
          occurrence: `${p.write}:${p.key}`,
          errorCode: 'WRITE_FAILED',
          errorMessage: `${p.write} failed permanently (${p.errorCode}): ${p.errorMessage}`,
          retryable: false,
          context: { write: p.write, reason: p.errorCode },
        }),
        letterTenant(p),
      );
    }
    await em
      .createQueryBuilder(DeadLetter)
      .insert({
        id: randomUUID(),
        tenantId: tenantValue(letterTenant(p)),
        write: p.write,
        idempotencyKey: p.key,
        payload: p.payload,
        errorClass: p.errorClass,
        errorCode: p.errorCode,
        errorMessage: p.errorMessage,
        retryCount: p.retryCount,
        createdAt: new Date(),
        updatedAt: new Date(),
      })
      .onConflict(['write', 'idempotencyKey'])
      .ignore()
      .execute();
  },
  async readBack(em, p) {
    const letter = await em.findOne(DeadLetter, { write: p.write, idempotencyKey: p.key });
    if (!letter) return null;
    const content = { write: letter.write, key: letter.idempotencyKey, payload: letter.payload };
    // The table has no hash column: a dead letter is its own record of what was meant.
    return { result: letter, content, hash: contentHash(content) };
  },
});
