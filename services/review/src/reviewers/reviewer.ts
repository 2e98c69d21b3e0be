import type { Persona } from '../personas/persona-set.ts';

/** The idea expanded into a structured proposal: what every persona reviews. */
export interface Proposal {
  title: string;
  summary: string;
  goals: string[];
  nonGoals: string[];
  design: string;
  risks: string[];
  openQuestions: string[];
}

export type Verdict = 'APPROVE' | 'REVISE' | 'REJECT';

export interface PersonaVerdict {
  /** 0–1: how confident the persona is that the proposal should go ahead as written. */
  confidence: number;
  verdict: Verdict;
  summary: string;
  blockingIssues: string[];
  securityConcerns: string[];
  /** Whether one of the security concerns blocks approval. */
  securityBlocking: boolean;
  suggestions: string[];
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface ModelAnswer<T> {
  value: T;
  model: string;
  /** Model calls made, retries included. */
  attempts: number;
  latencyMs: number;
  usage: Usage;
  /** The parameters it was asked with, to store beside the answer: never a secret. */
  prompt: Record<string, unknown>;
}

export interface CallContext {
  signal: AbortSignal;
}

export interface ExpandInput {
  idea: string;
  extraContext: string | null;
  /** A revision's parent proposal, and what changed. */
  previous?: Proposal | null;
  editNotes?: string | null;
}

/**
 * What reviews a proposal: the OpenAI Responses API, or the offline heuristic. Failures are the
 * kit's typed `Llm*` errors (a stable code, `retryable`, never model text or a key).
 */
export interface Reviewer {
  readonly model: string;
  expand(input: ExpandInput, context: CallContext): Promise<ModelAnswer<Proposal>>;
  review(persona: Persona, proposal: Proposal, context: CallContext): Promise<ModelAnswer<PersonaVerdict>>;
}

/** The model calls a failed answer cost (the OpenAI reviewer records it on the error). */
export function callsMade(error: unknown): number {
  const calls = (error as { calls?: unknown } | null)?.calls;
  return typeof calls === 'number' && calls > 0 ? calls : 1;
}
