import {
  buildSubgraph,
  DeadLetterResolver,
  DeadLetterService,
  loadConfig,
  type ServiceModule,
} from '@assay/kit';
import type { PgBoss } from 'pg-boss';
import { enqueueScore, SCORE_JOB_RETRY_LIMIT, startScoreQueue } from './jobs/score-queue.ts';
import { ScoreWorker } from './jobs/score-worker.ts';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import { Migration20261123000002Lifecycle } from './migrations/Migration20261123000002Lifecycle.ts';
import { ScoringRun } from './runs/run.entity.ts';
import { runReference } from './runs/run.reference.ts';
import { RunResolver } from './runs/run.resolver.ts';
import { RunService } from './runs/run.service.ts';
import { createRunWrite, transitionWrite } from './runs/run.writes.ts';
import { type RunEvent, RunLifecycle } from './runs/run-lifecycle.ts';
import { Watchdog } from './runs/watchdog.ts';
import { LlmScorer } from './scorers/llm/llm-scorer.ts';
import { RulesScorer } from './scorers/rules/rules-scorer.ts';
import { Score } from './scores/score.entity.ts';
import { completeRunWrite, scoreVerifiedWrite } from './scores/score.writes.ts';

/** The scoring subgraph: scores pull-request diffs with the rules engine or an LLM, as durable jobs. */
export const scoringService: ServiceModule = {
  name: 'scoring',
  dbSchema: 'scoring',
  portVariable: 'ASSAY_SCORING_PORT',
  entities: [ScoringRun, Score],
  migrations: [Migration20261122000000, Migration20261123000002Lifecycle],
  async createApp({ orm, writer, log, env }) {
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
      ],
      env,
    );
    writer.register(createRunWrite);
    writer.register(transitionWrite);
    writer.register(completeRunWrite);
    writer.register(scoreVerifiedWrite);

    let boss: PgBoss | undefined;
    let worker: ScoreWorker | undefined;
    const enqueue = async (runId: string, attempt: number) => {
      if (!boss) throw new Error('the job queue is not started');
      return enqueueScore(boss, { runId, attempt });
    };
    const publish = async (event: RunEvent) => {
      worker?.onRunEvent(event);
    };
    const lifecycle = new RunLifecycle(writer, publish, log);
    const runs = new RunService(
      { orm, writer, lifecycle, enqueue, log },
      { maxDiffBytes: config.ASSAY_MAX_DIFF_BYTES },
    );
    const watchdog = new Watchdog({
      orm,
      lifecycle,
      enqueue,
      log,
      intervalMs: config.ASSAY_WATCHDOG_INTERVAL_MS,
      heartbeatTimeoutMs: config.ASSAY_RUN_HEARTBEAT_TIMEOUT_MS,
      maxAttempts: config.ASSAY_RUN_MAX_ATTEMPTS,
    });
    const schema = await buildSubgraph({
      resolvers: [new RunResolver(runs), new DeadLetterResolver(new DeadLetterService(orm, writer))],
      referenceResolvers: runReference(runs),
    });
    return {
      schema,
      async start() {
        boss = await startScoreQueue({
          url: config.DATABASE_URL!,
          log,
          expireInSeconds: Math.ceil((config.ASSAY_RUN_HEARTBEAT_TIMEOUT_MS * 2) / 1000),
        });
        worker = new ScoreWorker({
          orm,
          boss,
          lifecycle,
          log,
          concurrency: config.ASSAY_SCORING_CONCURRENCY,
          retryLimit: SCORE_JOB_RETRY_LIMIT,
          scorers: {
            RULES: new RulesScorer(),
            ...(config.OPENAI_API_KEY
              ? {
                  LLM: new LlmScorer({
                    apiKey: config.OPENAI_API_KEY,
                    baseURL: config.OPENAI_BASE_URL,
                    model: config.ASSAY_LLM_MODEL,
                    timeoutMs: config.ASSAY_LLM_TIMEOUT_MS,
                    maxRetries: config.ASSAY_LLM_RETRIES,
                    retryBaseMs: 500,
                    retryMaxMs: 30_000,
                  }),
                }
              : {}),
          },
        });
        await worker.start();
        watchdog.start();
      },
      async stop() {
        await watchdog.stop();
        await worker?.stop();
        await boss?.stop({ graceful: true, timeout: 10_000 });
      },
    };
  },
};
