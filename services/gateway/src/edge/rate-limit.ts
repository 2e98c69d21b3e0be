import type { Caller } from '@assay/kit/auth';
import { LIMIT_CODES, limitError } from '@assay/kit/limits';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per caller: `perMinute` tokens, refilled continuously; one operation takes one.
 * Kept in this process: with N gateway replicas a caller gets up to N times the rate. Idle callers'
 * full buckets are dropped so the map stays small.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private sweptAt: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = perMinute / 60_000;
    this.sweptAt = now();
  }

  /** Takes a token: 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}

/**
 * RATE_LIMITED (HTTP 429 with Retry-After) for a caller over its rate; keyed by the subject the
 * access plugin authenticated, so it must come after `access.plugin`. Every operation counts,
 * over HTTP and each `subscribe` over graphql-ws.
 */
export function rateLimitPlugin(limiter: RateLimiter): GatewayPlugin {
  return {
    onContextBuilding() {
      return ({ context }) => {
        const caller = (context as { caller?: Caller }).caller;
        if (!caller) return;
        const retryAfter = limiter.take(caller.subject);
        if (retryAfter > 0) {
          throw limitError(
            'rate',
            `Rate limit of ${limiter.perMinute} operations per minute exceeded for this credential; retry after ${retryAfter} s. (${LIMIT_CODES.rate})`,
            { headers: { 'retry-after': String(retryAfter) } },
          );
        }
      };
    },
  };
}
