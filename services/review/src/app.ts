import { buildSubgraph, loadConfig, type ServiceModule } from '@assay/kit';
import { initLlmMetrics } from '@assay/kit/llm';
import { createRunEngine, RunRecord } from '@assay/kit/runs';
import { ruleFromConfig } from './decision/decide.ts';
import { ReviewExecutor } from './jobs/review-executor.ts';
import { createReviewMetrics } from './jobs/review-metrics.ts';
import { REVIEW_RUNS } from './lifecycle/review-runs.ts';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import { Migration20261206000001Pipeline } from './migrations/Migration20261206000001Pipeline.ts';
import { Migration20261206000002FailureOutbox } from './migrations/Migration20261206000002FailureOutbox.ts';
import { Migration20261207000003Tenancy } from './migrations/Migration20261207000003Tenancy.ts';
import { PersonaResolver } from './personas/persona.resolver.ts';
import { loadPersonaSet } from './personas/persona-set.ts';
import { OfflineReviewer } from './reviewers/offline-reviewer.ts';
import { OpenAiReviewer } from './reviewers/openai-reviewer.ts';
import type { Reviewer } from './reviewers/reviewer.ts';
import { Decision } from './reviews/decision.entity.ts';
import { PersonaReview } from './reviews/persona-review.entity.ts';
import { ProposalVersion } from './reviews/proposal-version.entity.ts';
import { completeReviewWrite, personaReviewWrite, proposalWrite } from './reviews/review.writes.ts';
import { createProgressResolver } from './runs/progress.resolver.ts';
import { ReviewRun } from './runs/review-run.entity.ts';
import { reviewRunReference } from './runs/review-run.reference.ts';
import { ReviewRunResolver } from './runs/review-run.resolver.ts';
import { ReviewRunService } from './runs/review-run.service.ts';
import { createReviewWrite } from './runs/review-run.writes.ts';

/** The OpenAI reviewer with an API key; otherwise the deterministic offline heuristic. */
function reviewerFrom(config: {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  ASSAY_LLM_MODEL: string;
  ASSAY_LLM_TIMEOUT_MS: number;
  ASSAY_REVIEW_PERSONA_RETRIES: number;
}): Reviewer {
  if (!config.OPENAI_API_KEY) return new OfflineReviewer();
  return new OpenAiReviewer({
    apiKey: config.OPENAI_API_KEY,
    baseURL: config.OPENAI_BASE_URL,
    model: config.ASSAY_LLM_MODEL,
    temperature: null,
    timeoutMs: config.ASSAY_LLM_TIMEOUT_MS,
    maxRetries: config.ASSAY_REVIEW_PERSONA_RETRIES,
    retryBaseMs: 500,
    retryMaxMs: 30_000,
  });
}

/** The review subgraph: multi-persona review of a proposal into a weighted decision, as durable jobs. */
export const reviewService: ServiceModule = {
  name: 'review',
  dbSchema: 'review',
  portVariable: 'ASSAY_REVIEW_PORT',
  failureOutbox: REVIEW_RUNS.outbox,
  entities: [RunRecord, ReviewRun, ProposalVersion, PersonaReview, Decision],
  migrations: [
    Migration20261122000000,
    Migration20261206000001Pipeline,
    Migration20261206000002FailureOutbox,
    Migration20261207000003Tenancy,
  ],
  async createApp({ orm, writer, log, env, pubSub }) {
    const config = loadConfig(
      [
        'DATABASE_URL',
        'OPENAI_API_KEY',
        'OPENAI_BASE_URL',
        'ASSAY_LLM_MODEL',
        'ASSAY_LLM_TIMEOUT_MS',
        'ASSAY_REVIEW_PERSONA_RETRIES',
        'ASSAY_REVIEW_APPROVE_AT',
        'ASSAY_REVIEW_REJECT_BELOW',
        'ASSAY_REVIEW_SECURITY_BLOCK_AT',
        'ASSAY_REVIEW_QUORUM',
        'ASSAY_REVIEW_CONCURRENCY',
        'ASSAY_REVIEW_PERSONA_CONCURRENCY',
        'ASSAY_RUN_HEARTBEAT_TIMEOUT_MS',
        'ASSAY_RUN_MAX_ATTEMPTS',
        'ASSAY_WATCHDOG_INTERVAL_MS',
        'ASSAY_LLM_PRICES',
      ],
      env,
    );
    initLlmMetrics(config.ASSAY_LLM_PRICES);
    const personas = loadPersonaSet();
    const reviewer = reviewerFrom(config);
    writer.register(proposalWrite);
    writer.register(personaReviewWrite);
    const engine = createRunEngine({
      kind: REVIEW_RUNS,
      orm,
      writer,
      pubSub,
      log,
      databaseUrl: config.DATABASE_URL!,
      concurrency: config.ASSAY_REVIEW_CONCURRENCY,
      heartbeatTimeoutMs: config.ASSAY_RUN_HEARTBEAT_TIMEOUT_MS,
      maxAttempts: config.ASSAY_RUN_MAX_ATTEMPTS,
      watchdogIntervalMs: config.ASSAY_WATCHDOG_INTERVAL_MS,
      executor: new ReviewExecutor({
        orm,
        writer,
        reviewer,
        personas,
        rule: ruleFromConfig(config),
        personaConcurrency: config.ASSAY_REVIEW_PERSONA_CONCURRENCY,
        log,
        metrics: createReviewMetrics(personas.personas.map((p) => p.id)),
      }),
      createWrite: createReviewWrite,
      finalWrites: [completeReviewWrite],
    });
    const runs = new ReviewRunService({
      orm,
      writer,
      lifecycle: engine.lifecycle,
      enqueue: engine.enqueue,
      personas,
      model: reviewer.model,
      temperature: null,
    });
    const schema = await buildSubgraph({
      resolvers: [
        new ReviewRunResolver(runs),
        createProgressResolver({ pubSub, runs }),
        new PersonaResolver(personas),
      ],
      referenceResolvers: reviewRunReference(runs),
      pubSub,
    });
    return { schema, start: () => engine.start(), stop: () => engine.stop() };
  },
};
