import { AppError, type EntityManager, failureReport, type Logger, type ReliableWriter } from '@assay/kit';
import type { Attempt, RunExecutor } from '@assay/kit/runs';
import { type DecisionRule, decide } from '../decision/decide.ts';
import { reviewDelta } from '../decision/delta.ts';
import { proposalDiff } from '../decision/proposal-diff.ts';
import type { Persona, PersonaSet } from '../personas/persona-set.ts';
import { callsMade, type PersonaVerdict, type Proposal, type Reviewer } from '../reviewers/reviewer.ts';
import { Decision } from '../reviews/decision.entity.ts';
import { PersonaReview } from '../reviews/persona-review.entity.ts';
import { ProposalVersion } from '../reviews/proposal-version.entity.ts';
import {
  completeReviewWrite,
  personaReviewWrite,
  proposalWrite,
  verdictOf,
} from '../reviews/review.writes.ts';
import { ReviewRun } from '../runs/review-run.entity.ts';
import type { ReviewMetrics } from './review-metrics.ts';

export interface ReviewExecutorOptions {
  orm: { em: EntityManager };
  writer: ReliableWriter;
  reviewer: Reviewer;
  personas: PersonaSet;
  rule: DecisionRule;
  /** Personas asked at once. */
  personaConcurrency: number;
  log: Logger;
  metrics: ReviewMetrics;
}

/** Progress of a run: expanding is the first 15 %, the personas the next 80 %, the decision the rest. */
const EXPANDED_PCT = 15;
const PERSONAS_PCT = 80;

/**
 * One attempt of a review: the idea expanded into a proposal, every persona's review (in parallel,
 * bounded), then the decision. Each is stored the moment it completes, so an attempt that resumes
 * a run (after a crash or a deploy) reuses the proposal and every persona that already answered:
 * nothing is paid for twice.
 */
export class ReviewExecutor implements RunExecutor<ReviewRun> {
  constructor(private readonly options: ReviewExecutorOptions) {}

  load(em: EntityManager, runId: string): Promise<ReviewRun | null> {
    return em.findOne(ReviewRun, { id: runId });
  }

  async execute(run: ReviewRun, attempt: Attempt): Promise<void> {
    const em = this.options.orm.em.fork();
    const proposal = await this.proposalOf(run, attempt, em);
    if (!proposal) return;
    const stored = await em.find(PersonaReview, { runId: run.id });
    const verdicts = new Map<string, PersonaVerdict>();
    for (const review of stored) {
      const verdict = verdictOf(review);
      if (verdict) verdicts.set(review.personaId, verdict);
    }
    const pending = this.options.personas.personas.filter((p) => !verdicts.has(p.id));
    let done = verdicts.size;
    const total = this.options.personas.personas.length;
    await eachLimited(pending, this.options.personaConcurrency, async (persona) => {
      if (attempt.signal.aborted) return;
      await attempt.progress(`persona ${persona.id} started`, pct(done, total), {
        event: 'PERSONA_STARTED',
        personaId: persona.id,
      });
      const verdict = await this.review(run, persona, proposal, attempt);
      done++;
      if (verdict) verdicts.set(persona.id, verdict);
      await attempt.progress(`persona ${persona.id} ${verdict ? 'finished' : 'failed'}`, pct(done, total), {
        event: verdict ? 'PERSONA_FINISHED' : 'PERSONA_FAILED',
        personaId: persona.id,
      });
    });
    if (attempt.signal.aborted) return;

    const reviews = this.options.personas.personas
      .filter((p) => verdicts.has(p.id))
      .map((persona) => ({ persona, verdict: verdicts.get(persona.id)! }));
    const decision = decide(this.options.personas, reviews, this.options.rule);
    if ('quorum' in decision) {
      const failures = await em.find(PersonaReview, { runId: run.id, errorCode: { $ne: null } });
      throw new AppError(
        'REVIEW_QUORUM_NOT_MET',
        `only ${decision.succeeded.length} of ${total} personas answered (${failures
          .map((f) => `${f.personaId}: ${f.errorCode}`)
          .join(', ')}); the reviews that succeeded are kept`,
        false,
      );
    }
    const delta = run.parentRunId ? await this.deltaOf(run, reviews, decision.label, em) : null;
    if (await attempt.complete(completeReviewWrite, { decision, delta }, 'DECISION_NOT_STORED'))
      this.options.metrics.decision(decision.label, decision.partial);
  }

  /** The stored proposal, or the idea expanded now and stored (a revision starts from its parent's). */
  private async proposalOf(run: ReviewRun, attempt: Attempt, em: EntityManager): Promise<Proposal | null> {
    const stored = await em.findOne(ProposalVersion, { runId: run.id });
    if (stored) return stored.proposal as unknown as Proposal;
    const parent = run.parentRunId ? await em.findOne(ProposalVersion, { runId: run.parentRunId }) : null;
    const previous = (parent?.proposal as unknown as Proposal | undefined) ?? null;
    await attempt.progress('expanding the idea', 2);
    const expanded = await this.options.reviewer.expand(
      { idea: run.idea, extraContext: run.extraContext, previous, editNotes: run.editNotes },
      { signal: attempt.signal },
    );
    if (attempt.signal.aborted) return null;
    const saved = await this.options.writer.persist(proposalWrite, {
      runId: run.id,
      version: (parent?.version ?? 0) + 1,
      proposal: expanded.value,
      diff: previous ? (proposalDiff(previous, expanded.value) as Record<string, unknown>) : null,
      editNotes: run.editNotes,
      personaSetVersion: this.options.personas.version,
    });
    if (saved.status === 'DEAD_LETTERED') throw saved.error;
    await attempt.progress('proposal expanded', EXPANDED_PCT, { event: 'EXPANDED' });
    // Spooled: the personas review what was expanded; the stored one follows it in order.
    return saved.status === 'SAVED' ? (saved.result.proposal as unknown as Proposal) : expanded.value;
  }

  /** Asks one persona (the reviewer retries by error class) and stores what it answered or why not. */
  private async review(
    run: ReviewRun,
    persona: Persona,
    proposal: Proposal,
    attempt: Attempt,
  ): Promise<PersonaVerdict | null> {
    const base = { runId: run.id, personaId: persona.id, personaName: persona.name, weight: persona.weight };
    const startedAt = performance.now();
    const seconds = () => (performance.now() - startedAt) / 1000;
    try {
      const answer = await this.options.reviewer.review(persona, proposal, { signal: attempt.signal });
      this.options.metrics.persona(persona.id, 'ok', seconds());
      await this.store({
        ...base,
        model: answer.model,
        attemptCount: answer.attempts,
        latencyMs: Math.round(answer.latencyMs),
        inputTokens: answer.usage.inputTokens,
        outputTokens: answer.usage.outputTokens,
        promptParameters: answer.prompt,
        verdict: answer.value,
        error: null,
        failure: null,
      });
      return answer.value;
    } catch (error) {
      if (attempt.signal.aborted) return null;
      if (!(error instanceof AppError)) throw error;
      this.options.metrics.persona(persona.id, 'failed', seconds());
      this.options.log.warn(
        { runId: run.id, persona: persona.id, code: error.code },
        'persona review failed',
      );
      await this.store({
        ...base,
        model: this.options.reviewer.model,
        attemptCount: callsMade(error),
        latencyMs: null,
        inputTokens: 0,
        outputTokens: 0,
        promptParameters: { model: this.options.reviewer.model, personaVersion: persona.version },
        verdict: null,
        error: { code: error.code, message: error.message, retryable: error.retryable },
        failure: failureReport({
          service: 'review',
          runId: run.id,
          occurrence: String(run.attempt),
          stage: `persona:${persona.id}`,
          errorCode: error.code,
          errorMessage: error.message,
          retryable: error.retryable,
          context: { persona: persona.id, attempt: run.attempt },
        }),
      });
      return null;
    }
  }

  private async store(review: Parameters<typeof personaReviewWrite.write>[1]): Promise<void> {
    const saved = await this.options.writer.persist(personaReviewWrite, review);
    if (saved.status === 'DEAD_LETTERED') throw saved.error;
  }

  /** A revision compared with its parent's reviews and decision. */
  private async deltaOf(
    run: ReviewRun,
    reviews: { persona: Persona; verdict: PersonaVerdict }[],
    label: string,
    em: EntityManager,
  ) {
    const [parentReviews, parentDecision] = await Promise.all([
      em.find(PersonaReview, { runId: run.parentRunId!, errorCode: null }),
      em.findOne(Decision, { runId: run.parentRunId! }),
    ]);
    return reviewDelta(
      {
        label: parentDecision?.label ?? null,
        reviews: parentReviews.map((r) => ({
          personaId: r.personaId,
          confidence: r.confidence,
          blockingIssues: r.blockingIssues,
        })),
      },
      {
        label: label as never,
        reviews: reviews.map((r) => ({
          personaId: r.persona.id,
          confidence: r.verdict.confidence,
          blockingIssues: r.verdict.blockingIssues,
        })),
      },
    );
  }
}

const pct = (done: number, total: number) => EXPANDED_PCT + (PERSONAS_PCT * done) / Math.max(1, total);

/** Runs `task` for every item with at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}
