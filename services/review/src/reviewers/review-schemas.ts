import { LlmInvalidOutputError } from '@assay/kit/llm';
import { z } from 'zod';
import type { PersonaVerdict, Proposal } from './reviewer.ts';

const text = (max: number) => z.string().max(max);
const list = z.array(text(1000)).max(30);

const proposalShape = z.object({
  title: text(300),
  summary: text(4000),
  goals: list,
  nonGoals: list,
  design: text(8000),
  risks: list,
  openQuestions: list,
});

const verdictShape = z.object({
  confidence: z.number().min(0).max(1),
  verdict: z.enum(['APPROVE', 'REVISE', 'REJECT']),
  summary: text(4000),
  blockingIssues: list,
  securityConcerns: list,
  securityBlocking: z.boolean(),
  suggestions: list,
});

/** The JSON schemas the model must answer in (strict structured outputs), made from the same shapes. */
export const PROPOSAL_SCHEMA = { name: 'assay_proposal', schema: strict(z.toJSONSchema(proposalShape)) };
export const VERDICT_SCHEMA = { name: 'assay_persona_review', schema: strict(z.toJSONSchema(verdictShape)) };

/** Strict mode wants every property required and no others, and no `$schema` key. */
function strict(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _, ...rest } = schema;
  return { ...rest, additionalProperties: false };
}

function parseWith<T>(shape: z.ZodType<T>, raw: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new LlmInvalidOutputError(`the ${what} is not JSON`);
  }
  const parsed = shape.safeParse(json);
  if (!parsed.success) {
    // Paths and rules only: the model's text is never repeated in an error.
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'} ${i.message}`);
    throw new LlmInvalidOutputError(`the ${what} does not fit the schema: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export const parseProposal = (raw: string): Proposal => parseWith(proposalShape, raw, 'proposal');
export const parseVerdict = (raw: string): PersonaVerdict => parseWith(verdictShape, raw, 'review');
