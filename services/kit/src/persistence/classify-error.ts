/**
 * Is a database error worth another attempt? Decided by SQLSTATE first (the server's own verdict),
 * then by the driver's network and pool errors, which carry no SQLSTATE.
 */
export type ErrorClass = 'transient' | 'permanent';

export interface Classified {
  errorClass: ErrorClass;
  /** SQLSTATE, errno name or a short driver reason: bounded, safe as a metric label. */
  code: string;
}

/** Exact SQLSTATEs that are transient although their class is not. */
const TRANSIENT_STATES = new Set([
  '25006', // read_only_sql_transaction: a primary demoted during failover
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (our lock_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
]);

/**
 * SQLSTATE classes (first two characters): 08 connection exception, 53 insufficient resources
 * (too many connections, out of memory, disk full: the server's state, not the record's).
 */
const TRANSIENT_CLASSES = new Set(['08', '53']);

/**
 * Exact SQLSTATEs that are permanent although their class is transient: the server refused the
 * *message*, which the same record will send again. PostgreSQL answers a U+0000 in a text parameter
 * with 08P01, and retrying it would open the breaker for everyone.
 */
const PERMANENT_STATES = new Set(['08P01']);

const TRANSIENT_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Driver errors that have neither SQLSTATE nor errno, matched on pg's and pg-pool's messages. */
const TRANSIENT_MESSAGES: [RegExp, string][] = [
  [/timeout exceeded when trying to connect/i, 'POOL_TIMEOUT'],
  [/connection terminated/i, 'CONNECTION_TERMINATED'],
  [/not queryable/i, 'CONNECTION_LOST'],
  [/server closed the connection unexpectedly/i, 'CONNECTION_TERMINATED'],
  [/Query read timeout/i, 'QUERY_TIMEOUT'],
];

const SQLSTATE = /^[0-9A-Z]{5}$/;

export function classifyDbError(error: unknown): Classified {
  for (const e of causes(error)) {
    // Before SQLSTATE: an errno such as EPIPE is five capitals too.
    const errno = (e as { code?: unknown }).code;
    if (typeof errno === 'string' && TRANSIENT_ERRNOS.has(errno))
      return { errorClass: 'transient', code: errno };
    const state = sqlState(e);
    if (state === '57014') return queryCanceled(e);
    if (state) {
      const transient =
        !PERMANENT_STATES.has(state) &&
        (TRANSIENT_STATES.has(state) || TRANSIENT_CLASSES.has(state.slice(0, 2)));
      // Other classes (22 data, 23 integrity, 42 syntax/access, and the rest) will fail again the same way.
      return { errorClass: transient ? 'transient' : 'permanent', code: state };
    }
    const message = e instanceof Error ? e.message : '';
    for (const [pattern, code] of TRANSIENT_MESSAGES) {
      if (pattern.test(message)) return { errorClass: 'transient', code };
    }
  }
  // Unknown errors are not retried: a bug retried is still a bug, and it reaches the dead letters
  // with its payload instead of looping.
  return { errorClass: 'permanent', code: 'UNKNOWN' };
}

/**
 * 57014 is our own statement timeout (the database too slow or a lock held: worth another attempt
 * later) or a deliberate cancel by an operator (`pg_cancel_backend`: not to be undone by a retry).
 */
function queryCanceled(e: unknown): Classified {
  const message = e instanceof Error ? e.message : '';
  return /statement timeout/i.test(message)
    ? { errorClass: 'transient', code: 'STATEMENT_TIMEOUT' }
    : { errorClass: 'permanent', code: '57014' };
}

function sqlState(e: unknown): string | undefined {
  const candidate = (e as { sqlState?: unknown; code?: unknown }).sqlState ?? (e as { code?: unknown }).code;
  return typeof candidate === 'string' && SQLSTATE.test(candidate) ? candidate : undefined;
}

/** The error, its `cause`s and the members of an AggregateError (pg reports multi-address failures so). */
function* causes(error: unknown, depth = 0): Generator<unknown> {
  if (error == null || depth > 5) return;
  yield error;
  if (error instanceof AggregateError) for (const inner of error.errors) yield* causes(inner, depth + 1);
  yield* causes((error as { cause?: unknown }).cause, depth + 1);
}
