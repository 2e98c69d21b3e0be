import { nameUuid } from '@assay/kit';
import { loadDefaultCatalog } from '../catalog/default-catalog.ts';

/** A failure as a producer's outbox holds it. */
export interface SyntheticFailure {
  id: string;
  /** Whose failure it is (the outbox row's tenant). */
  tenantId: string;
  service: 'scoring' | 'review';
  runId: string;
  errorCode: string;
  errorMessage: string;
  retryable: boolean;
  stage: string;
}

/** The tenant synthetic failures belong to: the one `npm start`'s development key acts as. */
export const SYNTHETIC_TENANT = 'default';

/** Codes no catalog entry knows: they arrive matched NONE (or by keyword), as new failures do. */
const UNKNOWN_CODES = [
  'CACHE_STAMPEDE',
  'GIT_FETCH_REFUSED',
  'DIFF_ENCODING_INVALID',
  'WEBHOOK_SIGNATURE_BAD',
  'QUOTA_EXCEEDED',
  'TOKENIZER_CRASHED',
];

/** Message templates: ids and numbers vary, so occurrences of one kind group together. */
const MESSAGES = [
  (n: number, id: string) => `request ${id} failed after ${n} ms (attempt ${1 + (n % 3)})`,
  (n: number, id: string) => `run ${id}: upstream answered ${500 + (n % 4)} at byte ${n * 7}`,
  (n: number, id: string) =>
    `worker 0x${((n * 2654435761) >>> 0).toString(16)} lost run ${id} after ${n % 60} s`,
];

/** A small seeded generator (mulberry32): the same seed gives the same failures. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` realistic failures for seed `seed`: about 70% with codes of the shipped catalog, the rest
 * unknown, over 200 runs, from scoring and review. Ids derive from (seed, index), so sending the
 * same seed again stores nothing twice.
 */
export function* syntheticFailures(count: number, seed: number): Generator<SyntheticFailure> {
  const next = random(seed);
  const known = loadDefaultCatalog().map((e) => e.errorCode);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const runs = Array.from({ length: 200 }, (_, i) => nameUuid(`synthetic-run:${seed}:${i}`));
  for (let i = 0; i < count; i++) {
    const errorCode = next() < 0.7 ? pick(known) : pick(UNKNOWN_CODES);
    const runId = pick(runs);
    yield {
      id: nameUuid(`synthetic-failure:${seed}:${i}`),
      tenantId: SYNTHETIC_TENANT,
      service: next() < 0.6 ? 'scoring' : 'review',
      runId,
      errorCode,
      errorMessage: pick(MESSAGES)(Math.floor(next() * 100_000), runId),
      retryable: next() < 0.5,
      stage: 'synthetic',
    };
  }
}

const OUTBOX = { scoring: '"scoring"."failure_outbox"', review: '"review"."failure_outbox"' } as const;

/** Writes failures into their producers' outboxes (one statement per producer), once by id, each as its tenant's. */
export async function sendToOutboxes(
  client: { query(sql: string, params: unknown[]): Promise<unknown> },
  failures: SyntheticFailure[],
): Promise<void> {
  for (const service of ['scoring', 'review'] as const) {
    const rows = failures.filter((f) => f.service === service);
    if (rows.length === 0) continue;
    await client.query(
      `insert into ${OUTBOX[service]} (id, tenant_id, service, run_id, error_code, error_message, retryable, stage,
         trace_id, context, occurred_at)
       select id, tenant_id, $2, run_id, error_code, error_message, retryable, $3, null, null, now()
       from unnest($1::uuid[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[])
         as t(id, run_id, error_code, error_message, retryable, tenant_id)
       on conflict (id) do nothing`,
      [
        rows.map((f) => f.id),
        service,
        'synthetic',
        rows.map((f) => f.runId),
        rows.map((f) => f.errorCode),
        rows.map((f) => f.errorMessage),
        rows.map((f) => f.retryable),
        rows.map((f) => f.tenantId),
      ],
    );
  }
}
