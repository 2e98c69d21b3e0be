import { randomUUID } from 'node:crypto';
import {
  contentHash,
  type EntityManager,
  execute,
  type FailureReport,
  readBackOf,
  type Stored,
  type WriteDefinition,
  writeFailure,
} from '@assay/kit';
import { type ClaimStep, type FinalResult, guardedUpdate, readRunState } from '@assay/kit/runs';
import { raw } from '@mikro-orm/core';
import type { DecisionResult } from '../decision/decide.ts';
import type { ReviewDelta } from '../decision/delta.ts';
import { REVIEW_RUNS } from '../lifecycle/review-runs.ts';
import type { PersonaVerdict, Proposal } from '../reviewers/reviewer.ts';
import { ReviewStatus } from '../runs/review-run.entity.ts';
import { Decision } from './decision.entity.ts';
import { PersonaReview } from './persona-review.entity.ts';
import { ProposalVersion } from './proposal-version.entity.ts';

/**
 * What a run's proposal, persona reviews and decision are stored with: the run's tenant, read in the
 * same statement, whoever writes them (the worker, the spool replayer).
 */
const RUN_TENANT_SQL = `(select tenant_id from ${REVIEW_RUNS.table} where id = ?)`;

export interface StoreProposal {
  runId: string;
  version: number;
  proposal: Proposal;
  diff: Record<string, unknown> | null;
  editNotes: string | null;
  personaSetVersion: string;
}

/** Everything here belongs to a run: its tenant is the run's. */
const runTenant = (p: { runId: string }) => ({ runId: p.runId, runTable: REVIEW_RUNS.table });

const proposalContent = (p: Pick<StoreProposal, 'runId' | 'version' | 'proposal' | 'diff'>) => ({
  runId: p.runId,
  version: p.version,
  proposal: p.proposal,
  diff: p.diff,
});

/** A run's expanded proposal: one per run, so a resumed run keeps the one it expanded first. */
export const proposalWrite: WriteDefinition<StoreProposal, ProposalVersion> = {
  name: 'review.proposal.store',
  key: (p) => p.runId,
  tenant: runTenant,
  orderKey: (p) => p.runId,
  content: proposalContent,
  async write(em, p, hash) {
    await em
      .createQueryBuilder(ProposalVersion)
      .insert({
        id: randomUUID(),
        ...p,
        tenantId: raw(RUN_TENANT_SQL, [p.runId]),
        proposal: p.proposal as never,
        contentHash: hash,
        createdAt: new Date(),
      })
      .onConflict(['runId'])
      .ignore()
      .execute();
  },
  async readBack(em, p) {
    const stored = await em.findOne(ProposalVersion, { runId: p.runId });
    if (!stored) return null;
    return {
      result: stored,
      content: proposalContent({ ...stored, proposal: stored.proposal as never }),
      hash: stored.contentHash,
    };
  },
};

/** One persona's outcome: its verdict, or the error it failed with after its retries. */
export interface StorePersonaReview {
  runId: string;
  personaId: string;
  personaName: string;
  weight: number;
  model: string;
  attemptCount: number;
  latencyMs: number | null;
  inputTokens: number;
  outputTokens: number;
  promptParameters: Record<string, unknown>;
  verdict: PersonaVerdict | null;
  error: { code: string; message: string; retryable: boolean } | null;
  /** A failed persona's report for the failure catalog, outboxed with the review. */
  failure: FailureReport | null;
}

const reviewContent = (p: {
  runId: string;
  personaId: string;
  verdict: PersonaVerdict | null;
  errorCode: string | null;
}) => ({ runId: p.runId, personaId: p.personaId, verdict: p.verdict, errorCode: p.errorCode });

function verdictOf(review: PersonaReview): PersonaVerdict | null {
  if (review.errorCode) return null;
  return {
    confidence: review.confidence,
    verdict: review.verdict as PersonaVerdict['verdict'],
    summary: review.summary,
    blockingIssues: review.blockingIssues,
    securityConcerns: review.securityConcerns,
    securityBlocking: review.securityBlocking,
    suggestions: review.suggestions,
  };
}

/**
 * A persona review, stored the moment it lands. Unique per run and persona: a success is never
 * replaced (a resumed run does not pay for it twice); a stored failure is replaced when a later
 * attempt of the run gets the persona to answer.
 */
export const personaReviewWrite: WriteDefinition<StorePersonaReview, PersonaReview> = {
  name: 'review.persona.store',
  key: (p) => `${p.runId}:${p.personaId}:${p.verdict ? 'ok' : (p.error?.code ?? 'failed')}`,
  tenant: runTenant,
  orderKey: (p) => p.runId,
  content: (p) => reviewContent({ ...p, errorCode: p.error?.code ?? null }),
  async write(em, p, hash) {
    const v = p.verdict;
    const row = {
      id: randomUUID(),
      runId: p.runId,
      personaId: p.personaId,
      personaName: p.personaName,
      weight: p.weight,
      confidence: v?.confidence ?? 0,
      verdict: v?.verdict ?? 'FAILED',
      summary: v?.summary ?? '',
      blocking_issues: JSON.stringify(v?.blockingIssues ?? []),
      security_concerns: JSON.stringify(v?.securityConcerns ?? []),
      securityBlocking: v?.securityBlocking ?? false,
      suggestions: JSON.stringify(v?.suggestions ?? []),
      prompt_parameters: JSON.stringify(p.promptParameters),
      attemptCount: p.attemptCount,
      latencyMs: p.latencyMs,
      inputTokens: p.inputTokens,
      outputTokens: p.outputTokens,
      model: p.model,
      errorCode: p.error?.code ?? null,
      errorMessage: p.error?.message ?? null,
      errorRetryable: p.error?.retryable ?? null,
      contentHash: hash,
    };
    await em.execute(
      `insert into "review"."persona_review" (id, run_id, persona_id, persona_name, weight, confidence, verdict,
         summary, blocking_issues, security_concerns, security_blocking, suggestions, prompt_parameters,
         attempt_count, latency_ms, input_tokens, output_tokens, model, error_code, error_message,
         error_retryable, content_hash, created_at, tenant_id)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(),
         ${RUN_TENANT_SQL})
       on conflict (run_id, persona_id) do update set
         confidence = excluded.confidence, verdict = excluded.verdict, summary = excluded.summary,
         blocking_issues = excluded.blocking_issues, security_concerns = excluded.security_concerns,
         security_blocking = excluded.security_blocking, suggestions = excluded.suggestions,
         prompt_parameters = excluded.prompt_parameters,
         attempt_count = persona_review.attempt_count + excluded.attempt_count,
         latency_ms = excluded.latency_ms, input_tokens = persona_review.input_tokens + excluded.input_tokens,
         output_tokens = persona_review.output_tokens + excluded.output_tokens, model = excluded.model,
         error_code = excluded.error_code, error_message = excluded.error_message,
         error_retryable = excluded.error_retryable, content_hash = excluded.content_hash, created_at = now()
       where persona_review.error_code is not null`,
      [...Object.values(row), p.runId],
    );
    if (p.failure) await writeFailure(em, REVIEW_RUNS.outbox, p.failure, runTenant(p));
  },
  readBack: readBackOf(readPersonaReviews),
  // Personas of a run finish close together: their reviews are read back in one query.
  readBackMany: readPersonaReviews,
};

/** The stored reviews of the payloads' (run, persona) pairs, in their order: one query. */
async function readPersonaReviews(
  em: EntityManager,
  payloads: StorePersonaReview[],
): Promise<(Stored<PersonaReview> | null)[]> {
  const rows = await em.find(PersonaReview, {
    $or: payloads.map((p) => ({ runId: p.runId, personaId: p.personaId })),
  });
  return payloads.map((p) => {
    const stored = rows.find((r) => r.runId === p.runId && r.personaId === p.personaId);
    if (!stored) return null;
    return {
      result: stored,
      content: reviewContent({ ...stored, verdict: verdictOf(stored) }),
      hash: stored.contentHash,
    };
  });
}

/** The verdict a stored review holds, or null for a persona that failed. */
export { verdictOf };

/** The run's end: its decision stored and the run COMPLETED, in one transaction. */
export interface CompleteReview extends ClaimStep {
  decision: DecisionResult;
  delta: ReviewDelta | null;
}

const decisionContent = (runId: string, d: Omit<DecisionResult, never>, delta: ReviewDelta | null) => ({
  runId,
  label: d.label,
  overallWeightedConfidence: d.overallWeightedConfidence,
  rationale: d.rationale,
  dissent: d.dissent,
  partial: d.partial,
  missingPersonas: d.missingPersonas,
  delta,
});

export const completeReviewWrite: WriteDefinition<CompleteReview, FinalResult> = {
  name: 'review.run.complete',
  key: (p) => p.runId,
  tenant: runTenant,
  orderKey: (p) => p.runId,
  content: (p) => decisionContent(p.runId, p.decision, p.delta),
  async write(em, p, hash) {
    const d = p.decision;
    const update = guardedUpdate(
      REVIEW_RUNS,
      {
        runId: p.runId,
        attempt: p.attempt,
        from: [ReviewStatus.RUNNING],
        to: ReviewStatus.COMPLETED,
        step: 'decided',
        pct: 100,
        at: p.at,
        lease: p.lease,
        seq: p.seq,
      },
      `status = 'COMPLETED', progress_step = 'decided', progress_pct = 100, finished_at = ?,
       decision_label = ?, overall_confidence = ?`,
      [new Date(p.at), d.label, d.overallWeightedConfidence],
    );
    const moved = await execute<{ id: string }>(em, update.sql, update.params);
    if (moved.length === 0) return;
    await em.execute(
      `insert into "review"."decision" (id, run_id, label, overall_weighted_confidence, rationale, dissent,
         partial, missing_personas, delta, content_hash, created_at, tenant_id)
       values (?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?::jsonb, ?, ?, ${RUN_TENANT_SQL}) on conflict (run_id) do nothing`,
      [
        randomUUID(),
        p.runId,
        d.label,
        d.overallWeightedConfidence,
        d.rationale,
        JSON.stringify(d.dissent),
        d.partial,
        JSON.stringify(d.missingPersonas),
        p.delta ? JSON.stringify(p.delta) : null,
        hash,
        new Date(p.at),
        p.runId,
      ],
    );
  },
  async readBack(em, p) {
    const stored = await em.findOne(Decision, { runId: p.runId });
    if (!stored) {
      const expected = decisionContent(p.runId, p.decision, p.delta);
      return { result: { applied: false, version: null }, content: expected, hash: contentHash(expected) };
    }
    const run = await readRunState(REVIEW_RUNS, em, p.runId);
    return {
      result: { applied: true, version: run?.version ?? null },
      content: decisionContent(p.runId, { ...stored, label: stored.label as never }, stored.delta),
      hash: stored.contentHash,
    };
  },
};
