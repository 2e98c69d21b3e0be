import type { FilterQuery, MikroORM } from '@mikro-orm/postgresql';
import { recordAudit } from '../../audit/audit-entry.entity.ts';
import type { Caller } from '../../auth/caller.ts';
import { isUuid, paginate } from '../../database/paginate.ts';
import { AppError, BadUserInputError, NotFoundError } from '../../errors.ts';
import { classifyDbError } from '../classify-error.ts';
import { DeadLetter, DeadLetterStatus } from '../dead-letter.entity.ts';
import type { ReliableWriter } from '../reliable-writer.ts';
import { DeadLetterResolution } from './persistence-failure.type.ts';

const MAX_NOTE_LENGTH = 2000;

/**
 * A replay that has held RETRYING this long is taken to have died with its process (or lost the
 * database before it could settle): far beyond the write policy's worst case, so never a live one.
 */
const STALE_REPLAY_MS = 5 * 60_000;

const WHAT = 'persistence failure';

/**
 * Lists a tenant's dead letters and acts on them: replay through the writer, or a person's
 * resolution. Every change is a guarded update, so concurrent requests cannot both act on the same
 * letter; the one that settles a letter commits with its audit row (who, what, when).
 */
export class DeadLetterService {
  constructor(
    private readonly orm: MikroORM,
    private readonly writer: ReliableWriter,
  ) {}

  list(
    status: DeadLetterStatus | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
    tenantId: string,
  ) {
    return this.available(() =>
      paginate(this.orm.em.fork(), DeadLetter, status ? { tenantId, status } : { tenantId }, {
        first,
        after,
      }),
    );
  }

  /**
   * Writes the stored payload again. RESOLVED when it is saved; PENDING again, with the new error
   * and one more retry counted, when it fails for good again; SERVICE_UNAVAILABLE (left PENDING)
   * when the database is away.
   */
  replay(id: string, caller: Caller): Promise<DeadLetter> {
    const tenantId = caller.tenant;
    return this.available(async () => {
      const claimedAt = new Date();
      const claimed =
        isUuid(id) &&
        (await this.update(
          claimable(id, tenantId, claimedAt),
          { status: DeadLetterStatus.RETRYING },
          claimedAt,
        ));
      if (!claimed) throw await this.refusal(id, tenantId);
      const letter = (await this.find(id, tenantId))!;
      // Settled only while the claim is still ours: a stale takeover would have moved updatedAt.
      const ours = { id, tenantId, status: DeadLetterStatus.RETRYING, updatedAt: claimedAt };
      const release = () => this.update(ours, { status: DeadLetterStatus.PENDING });

      const result = await this.writer
        .replay({
          id: letter.id,
          write: letter.write,
          key: letter.idempotencyKey,
          payload: letter.payload,
          spooledAt: letter.createdAt.toISOString(),
          reason: 'MANUAL_REPLAY',
        })
        .catch(async (error: unknown) => {
          await release().catch(() => undefined);
          throw error;
        });

      if (result.status === 'UNAVAILABLE') {
        // If the database does not take this either, the letter stays RETRYING until it goes stale.
        await release().catch(() => undefined);
        throw unavailable();
      }
      if (result.status === 'SAVED') {
        await this.update(
          ours,
          { status: DeadLetterStatus.RESOLVED, resolvedAt: new Date(), resolutionNote: 'replayed' },
          new Date(),
          { caller, action: 'dead_letter.replayed', detail: { outcome: DeadLetterStatus.RESOLVED } },
        );
      } else {
        // The writer's own dead letter for it hit this row's (write, key) and changed nothing.
        await this.update(
          ours,
          {
            status: DeadLetterStatus.PENDING,
            retryCount: letter.retryCount + 1,
            errorCode: result.error.reason,
            errorMessage: result.error.message,
          },
          new Date(),
          {
            caller,
            action: 'dead_letter.replayed',
            detail: { outcome: DeadLetterStatus.PENDING, errorCode: result.error.reason },
          },
        );
      }
      return (await this.find(id, tenantId))!;
    });
  }

  /** Closes a letter by hand: RESOLVED (fixed some other way) or IGNORED, with an optional note. */
  resolve(
    id: string,
    resolution: DeadLetterResolution,
    note: string | null | undefined,
    caller: Caller,
  ): Promise<DeadLetter> {
    const tenantId = caller.tenant;
    if (note != null && note.length > MAX_NOTE_LENGTH) {
      throw new BadUserInputError(`note is ${note.length} characters; the limit is ${MAX_NOTE_LENGTH}`);
    }
    return this.available(async () => {
      const now = new Date();
      const status =
        resolution === DeadLetterResolution.IGNORED ? DeadLetterStatus.IGNORED : DeadLetterStatus.RESOLVED;
      const done =
        isUuid(id) &&
        (await this.update(
          claimable(id, tenantId, now),
          { status, resolutionNote: note ?? null, resolvedAt: now },
          now,
          { caller, action: 'dead_letter.resolved', detail: { status } },
        ));
      if (!done) throw await this.refusal(id, tenantId);
      return (await this.find(id, tenantId))!;
    });
  }

  private find(id: string, tenantId: string): Promise<DeadLetter | null> {
    return this.orm.em.fork().findOne(DeadLetter, { id, tenantId });
  }

  /**
   * One parameterised guarded UPDATE; true when it changed the row. With `audit`, the audit row is
   * written in the same transaction, and only when the update matched.
   */
  private async update(
    where: FilterQuery<DeadLetter>,
    data: Partial<DeadLetter>,
    updatedAt = new Date(),
    audit?: { caller: Caller; action: string; detail: Record<string, unknown> },
  ): Promise<boolean> {
    if (!audit) return (await this.orm.em.fork().nativeUpdate(DeadLetter, where, { ...data, updatedAt })) > 0;
    return this.orm.em.fork().transactional(async (em) => {
      const changed = (await em.nativeUpdate(DeadLetter, where, { ...data, updatedAt })) > 0;
      if (changed)
        recordAudit(em, audit.caller, audit.action, String((where as { id: string }).id), audit.detail);
      return changed;
    });
  }

  /** Why a guarded update matched nothing, as the error the client gets. */
  private async refusal(id: string, tenantId: string): Promise<AppError> {
    const letter = isUuid(id) ? await this.find(id, tenantId) : null;
    if (!letter) return new NotFoundError(WHAT, id);
    switch (letter.status) {
      case DeadLetterStatus.RESOLVED:
      case DeadLetterStatus.IGNORED:
        return new BadUserInputError(`${WHAT} ${id} is already resolved (${letter.status}); nothing to do`);
      case DeadLetterStatus.RETRYING:
        return new BadUserInputError(
          `${WHAT} ${id} is being replayed right now; look again once that finishes`,
        );
      default:
        return new BadUserInputError(`${WHAT} ${id} changed while this request ran; try again`);
    }
  }

  /** The database being away is a retryable SERVICE_UNAVAILABLE, not an internal error. */
  private async available<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof AppError) && classifyDbError(error).errorClass === 'transient') {
        throw unavailable(error);
      }
      throw error;
    }
  }
}

/** The letter, if it is PENDING or RETRYING by a replay that went stale. */
function claimable(id: string, tenantId: string, now: Date): FilterQuery<DeadLetter> {
  return {
    id,
    tenantId,
    $or: [
      { status: DeadLetterStatus.PENDING },
      { status: DeadLetterStatus.RETRYING, updatedAt: { $lt: new Date(now.getTime() - STALE_REPLAY_MS) } },
    ],
  };
}

function unavailable(cause?: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'the database is unavailable; try again shortly', true, {
    cause,
  });
}
