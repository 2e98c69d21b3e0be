import { connectionParamsFor, type FakeOpenAIBehaviour, type RecordedRequest } from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadPersonaSet } from '../src/personas/persona-set.ts';

export const PERSONAS = loadPersonaSet().personas;

export const PROPOSAL = {
  title: 'Cache scores per commit',
  summary: 'Store each score under its commit so a re-run answers from the cache.',
  goals: ['no second model call for the same commit'],
  nonGoals: ['caching reviews'],
  design: 'A table keyed by repository and commit sha, read before scoring.',
  risks: ['a stale score after a rubric change'],
  openQuestions: ['how long to keep entries?'],
};

export function verdict(confidence: number, extra: Record<string, unknown> = {}) {
  return {
    confidence,
    verdict: confidence >= 0.75 ? 'APPROVE' : confidence < 0.4 ? 'REJECT' : 'REVISE',
    summary: 'Reviewed.',
    blockingIssues: [],
    securityConcerns: [],
    securityBlocking: false,
    suggestions: [],
    ...extra,
  };
}

type Body = { instructions?: string; input?: string; text?: { format?: { name?: string } } };

/** Which persona a recorded request asks, or 'expand' for the expansion. */
export function askedOf(request: RecordedRequest): string {
  const body = request.body as Body;
  if (body.text?.format?.name === 'assay_proposal') return 'expand';
  const persona = PERSONAS.find((p) => body.instructions?.includes(`You are the ${p.name} `));
  return persona?.id ?? 'unknown';
}

/**
 * The fake model as a panel: the expansion answers PROPOSAL, each persona `byPersona[id]` (a
 * behaviour, or a function of how often it was asked) or a confident approval.
 */
export function panel(
  byPersona: Record<string, FakeOpenAIBehaviour | ((nth: number) => FakeOpenAIBehaviour)> = {},
  delayMs = 0,
) {
  const asked = new Map<string, number>();
  return (request: RecordedRequest): FakeOpenAIBehaviour => {
    const who = askedOf(request);
    const nth = (asked.get(who) ?? 0) + 1;
    asked.set(who, nth);
    if (who === 'expand') return { kind: 'json', output: PROPOSAL, delayMs };
    const behaviour = byPersona[who];
    if (typeof behaviour === 'function') return behaviour(nth);
    return behaviour ?? { kind: 'json', output: verdict(0.9), delayMs };
  };
}

export interface ProgressEvent {
  status: string;
  event: string | null;
  personaId: string | null;
  progressPct: number;
}

/** Follows a run's progress over graphql-ws until it completes; resolves with every event. */
export async function follow(url: string, runId: string): Promise<ProgressEvent[]> {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    connectionParams: connectionParamsFor(url),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  const events: ProgressEvent[] = [];
  try {
    for await (const result of client.iterate<{ reviewRunProgress: ProgressEvent }>({
      query:
        'subscription($id: ID!) { reviewRunProgress(runId: $id) { status event personaId progressPct } }',
      variables: { id: runId },
    })) {
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      events.push(result.data!.reviewRunProgress);
    }
  } finally {
    await client.dispose();
  }
  return events;
}

export const RUN = `query($id: ID!) { reviewRun(id: $id) {
  id status runType model attempt progressPct
  error { code message retryable }
  proposal { version proposal diff personaSetVersion }
  personaReviews { personaId personaName weight confidence verdict blockingIssues securityConcerns attemptCount model error { code retryable } }
  decision { label overallWeightedConfidence rationale dissent partial missingPersonas }
  delta { decisionChanged resolvedIssues newIssues openIssues confidenceChanges { personaId before after change } }
  parentRun { id } revisions { id }
} }`;

export const START = `mutation($input: StartReviewInput!) { startReview(input: $input) { id status runType model } }`;
