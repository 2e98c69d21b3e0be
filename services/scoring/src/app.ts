import {
  buildSubgraph,
  DeadLetterResolver,
  DeadLetterService,
  loadConfig,
  type ServiceModule,
} from '@assay/kit';
import type { PgBoss } from 'pg-boss';
import { JobSender } from './jobs/job-sender.ts';
import { enqueueScore, SCORE_JOB_RETRY_LIMIT, startScoreQueue } from './jobs/score-queue.ts';
import { ScoreWorker } from './jobs/score-worker.ts';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import { Migration20261123000002Lifecycle } from './migrations/Migration20261123000002Lifecycle.ts';
import { Migration20261123000003UnverifiedScores } from './migrations/Migration20261123000003UnverifiedScores.ts';
import { Migration20261203000004RunClaims } from './migrations/Migration20261203000004RunClaims.ts';
import { createProgressResolver } from './runs/progress.resolver.ts';
import { RunStatus, type ScorerKind, ScoringRun } from './runs/run.entity.ts';
import { runReference } from './runs/run.reference.ts';
import { RunResolver } from './runs/run.resolver.ts';
import { RunService } from './runs/run.service.ts';
import { createRunWrite, transitionWrite } from './runs/run.writes.ts';
import { listenForStops, publishRunEvent } from './runs/run-events.ts';
import { type RunEvent, RunLifecycle } from './runs/run-lifecycle.ts';
import { createRunMetrics } from './runs/run-metrics.ts';
import { Watchdog } from './runs/watchdog.ts';
import { LlmScorer } from './scorers/llm/llm-scorer.ts';
import { RulesScorer } from './scorers/rules/rules-scorer.ts';
import type { Scorer } from './scorers/scorer.ts';
import { Score } from './scores/score.entity.ts';
import { completeRunWrite } from './scores/score.writes.ts';

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
  entities: [ScoringRun, Score],
  migrations: [
    Migration20261122000000,
    Migration20261123000002Lifecycle,
    Migration20261123000003UnverifiedScores,
    Migration20261203000004RunClaims,
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
      ],
      env,
    );
    writer.register(createRunWrite);
    writer.register(transitionWrite);
    writer.register(completeRunWrite);

    let boss: PgBoss | undefined;
    let worker: ScoreWorker | undefined;
    let stops: { close(): Promise<void> } | undefined;
    const jobs = new JobSender((job) => {
      if (!boss) throw new Error('the job queue is not started');
      return enqueueScore(boss, job);
    }, log);
    const enqueue = (runId: string, attempt: number) => jobs.send({ runId, attempt });
    // A run accepted while the database was away is queued the moment the replayer stores it.
    writer.onReplayed(createRunWrite, (_, run) =>
      run.status === RunStatus.QUEUED ? jobs.send({ runId: run.id, attempt: run.attempt }) : undefined,
    );
    const metrics = createRunMetrics();
    const publish = async (event: RunEvent) => {
      metrics.record(event);
      worker?.onRunEvent(event); // at once, without the round trip through PostgreSQL
      await publishRunEvent(pubSub, event);
    };
    const lifecycle = new RunLifecycle(writer, publish, log, {
      staleAfterMs: config.ASSAY_RUN_HEARTBEAT_TIMEOUT_MS,
    });
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
      resolvers: [
        new RunResolver(runs),
        createProgressResolver({ pubSub, runs }),
        new DeadLetterResolver(new DeadLetterService(orm, writer)),
      ],
      referenceResolvers: runReference(runs),
      pubSub,
    });
    return {
      schema,
      async start() {
        boss = await startScoreQueue({
          url: config.DATABASE_URL!,
          log,
          expireInSeconds: Math.ceil((config.ASSAY_RUN_HEARTBEAT_TIMEOUT_MS * 2) / 1000),
        });
        // A replica with concurrency 0 serves the API and subscriptions; others run the jobs.
        if (config.ASSAY_SCORING_CONCURRENCY > 0) {
          const local = new ScoreWorker({
            orm,
            boss,
            lifecycle,
            log,
            concurrency: config.ASSAY_SCORING_CONCURRENCY,
            retryLimit: SCORE_JOB_RETRY_LIMIT,
            scorers: scorersFrom(config),
          });
          worker = local;
          stops = await listenForStops(pubSub, log, (event) => {
            local.onRunEvent(event);
            metrics.forget(event.runId);
          });
          await local.start();
        }
        watchdog.start();
        jobs.start();
      },
      async stop() {
        await jobs.stop();
        await watchdog.stop();
        await worker?.stop();
        await stops?.close();
        await boss?.stop({ graceful: true, timeout: 10_000 });
      },
    };
  },
};
