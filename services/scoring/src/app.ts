import {
  buildSubgraph,
  DeadLetterResolver,
  DeadLetterService,
  loadConfig,
  type ServiceModule,
} from '@assay/kit';
import { initLlmMetrics } from '@assay/kit/llm';
import { createRunEngine, RunRecord } from '@assay/kit/runs';
import { ScoreExecutor } from './jobs/score-executor.ts';
import { SCORING_RUNS } from './lifecycle/scoring-runs.ts';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import { Migration20261123000002Lifecycle } from './migrations/Migration20261123000002Lifecycle.ts';
import { Migration20261123000003UnverifiedScores } from './migrations/Migration20261123000003UnverifiedScores.ts';
import { Migration20261203000004RunClaims } from './migrations/Migration20261203000004RunClaims.ts';
import { Migration20261206000005FailureOutbox } from './migrations/Migration20261206000005FailureOutbox.ts';
import { Migration20261207000006Tenancy } from './migrations/Migration20261207000006Tenancy.ts';
import { createProgressResolver } from './runs/progress.resolver.ts';
import { type ScorerKind, ScoringRun } from './runs/run.entity.ts';
import { runReference } from './runs/run.reference.ts';
import { RunResolver } from './runs/run.resolver.ts';
import { RunService } from './runs/run.service.ts';
import { createRunWrite } from './runs/run.writes.ts';
import { LlmScorer } from './scorers/llm/llm-scorer.ts';
import { RulesScorer } from './scorers/rules/rules-scorer.ts';
import type { Scorer } from './scorers/scorer.ts';
import { Score } from './scores/score.entity.ts';
import { completeRunWrite } from './scores/score.writes.ts';
import { unverifiedScoresSweep } from './scores/unverified-scores.ts';

/** RULES always; LLM when an API key is configured. */
function scorersFrom(config: {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  ASSAY_LLM_MODEL: string;
  ASSAY_LLM_TIMEOUT_MS: number;
  ASSAY_LLM_RETRIES: number;
}): Partial<Record<ScorerKind, Scorer>> {
  const scorers: Partial<Record<ScorerKind, Scorer>> = { RULES: new RulesScorer() };
  if (config.OPENAI_API_KEY) {
    scorers.LLM = new LlmScorer({
      apiKey: config.OPENAI_API_KEY,
      baseURL: config.OPENAI_BASE_URL,
      model: config.ASSAY_LLM_MODEL,
      timeoutMs: config.ASSAY_LLM_TIMEOUT_MS,
      maxRetries: config.ASSAY_LLM_RETRIES,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
    });
  }
  return scorers;
}

/** The scoring subgraph: scores pull-request diffs with the rules engine or an LLM, as durable jobs. */
export const scoringService: ServiceModule = {
  name: 'scoring',
  dbSchema: 'scoring',
  portVariable: 'ASSAY_SCORING_PORT',
  failureOutbox: SCORING_RUNS.outbox,
  entities: [RunRecord, ScoringRun, Score],
  migrations: [
    Migration20261122000000,
    Migration20261123000002Lifecycle,
    Migration20261123000003UnverifiedScores,
    Migration20261203000004RunClaims,
    Migration20261206000005FailureOutbox,
    Migration20261207000006Tenancy,
  ],
  async createApp({ orm, writer, log, env, pubSub }) {
    const config = loadConfig(
      [
        'DATABASE_URL',
        'ASSAY_MAX_DIFF_BYTES',
        'OPENAI_API_KEY',
        'OPENAI_BASE_URL',
        'ASSAY_LLM_MODEL',
        'ASSAY_LLM_TIMEOUT_MS',
        'ASSAY_LLM_RETRIES',
        'ASSAY_SCORING_CONCURRENCY',
        'ASSAY_RUN_HEARTBEAT_TIMEOUT_MS',
        'ASSAY_RUN_MAX_ATTEMPTS',
        'ASSAY_WATCHDOG_INTERVAL_MS',
        'ASSAY_LLM_PRICES',
      ],
      env,
    );
    initLlmMetrics(config.ASSAY_LLM_PRICES);
    const engine = createRunEngine({
      kind: SCORING_RUNS,
      orm,
      writer,
      pubSub,
      log,
      databaseUrl: config.DATABASE_URL!,
      concurrency: config.ASSAY_SCORING_CONCURRENCY,
      heartbeatTimeoutMs: config.ASSAY_RUN_HEARTBEAT_TIMEOUT_MS,
      maxAttempts: config.ASSAY_RUN_MAX_ATTEMPTS,
      watchdogIntervalMs: config.ASSAY_WATCHDOG_INTERVAL_MS,
      executor: new ScoreExecutor(scorersFrom(config)),
      createWrite: createRunWrite,
      finalWrites: [completeRunWrite],
      alsoSweep: unverifiedScoresSweep(orm, log),
    });
    const runs = new RunService(
      { orm, writer, lifecycle: engine.lifecycle, enqueue: engine.enqueue, log },
      { maxDiffBytes: config.ASSAY_MAX_DIFF_BYTES },
    );
    const schema = await buildSubgraph({
      resolvers: [
        new RunResolver(runs),
        createProgressResolver({ pubSub, runs }),
        new DeadLetterResolver(new DeadLetterService(orm, writer)),
      ],
      referenceResolvers: runReference(runs),
      pubSub,
    });
    return { schema, start: () => engine.start(), stop: () => engine.stop() };
  },
};
