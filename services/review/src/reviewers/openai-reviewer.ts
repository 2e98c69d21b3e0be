import { AppError } from '@assay/kit';
import {
  answerText,
  countTokens,
  createResponse,
  LlmInvalidOutputError,
  LlmRequestError,
} from '@assay/kit/llm';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import type { ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import type { Persona } from '../personas/persona-set.ts';
import { PROPOSAL_SCHEMA, parseProposal, parseVerdict, VERDICT_SCHEMA } from './review-schemas.ts';
import type {
  CallContext,
  ExpandInput,
  ModelAnswer,
  PersonaVerdict,
  Proposal,
  Reviewer,
} from './reviewer.ts';

export interface OpenAiReviewerOptions {
  apiKey: string;
  /** Any OpenAI-compatible server; the SDK's default otherwise. */
  baseURL?: string;
  model: string;
  /** Null: the model's default (reasoning models take no temperature). */
  temperature: number | null;
  /** Per call. */
  timeoutMs: number;
  /** Retries of one call after a transient failure (429, 5xx, timeout, lost connection). */
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

const tracer = trace.getTracer('assay-review');

const EXPAND_INSTRUCTIONS = `You turn a short idea into a structured proposal for a review panel.
Keep to what the idea says; list what it leaves open as open questions rather than inventing it.
Answer only in the JSON schema given.`;

/** Reviews through the OpenAI Responses API with strict JSON-schema structured outputs. */
export class OpenAiReviewer implements Reviewer {
  readonly model: string;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiReviewerOptions) {
    this.model = options.model;
    // No SDK retries: ours retry by error class, honour retry-after and stop on abort.
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: 0,
    });
  }

  expand(input: ExpandInput, context: CallContext): Promise<ModelAnswer<Proposal>> {
    const parts = [`Idea:\n${input.idea}`];
    if (input.extraContext) parts.push(`Context:\n${input.extraContext}`);
    if (input.previous)
      parts.push(`The previous version of this proposal:\n${JSON.stringify(input.previous)}`);
    if (input.editNotes) parts.push(`What changed since:\n${input.editNotes}`);
    return this.call(
      'review expand',
      EXPAND_INSTRUCTIONS,
      parts.join('\n\n'),
      PROPOSAL_SCHEMA,
      parseProposal,
      {
        schema: PROPOSAL_SCHEMA.name,
      },
      context,
    );
  }

  review(persona: Persona, proposal: Proposal, context: CallContext): Promise<ModelAnswer<PersonaVerdict>> {
    const instructions = `You are the ${persona.name} on a review panel. ${persona.instructions}
Give your confidence (0 to 1) that the proposal should go ahead as written, your verdict, a short
summary, blocking issues (each one sentence), security concerns, whether one of them blocks
approval, and suggestions. Answer only in the JSON schema given.`;
    return this.call(
      'review persona',
      instructions,
      `Proposal:\n${JSON.stringify(proposal)}`,
      VERDICT_SCHEMA,
      parseVerdict,
      { schema: VERDICT_SCHEMA.name, persona: persona.id, personaVersion: persona.version },
      context,
    );
  }

  /**
   * One structured answer. Transient failures are retried inside `createResponse`; an answer that
   * does not fit the schema is asked for once more with what was wrong, then fails typed.
   */
  private call<T>(
    spanName: string,
    instructions: string,
    input: string,
    format: { name: string; schema: Record<string, unknown> },
    parse: (raw: string) => T,
    prompt: Record<string, unknown>,
    context: CallContext,
  ): Promise<ModelAnswer<T>> {
    return tracer.startActiveSpan(spanName, async (span) => {
      // Sizes and outcomes only: never the key, the idea or the model's text.
      span.setAttributes({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': this.model });
      const started = performance.now();
      const usage = { inputTokens: 0, outputTokens: 0 };
      let attempts = 0;
      let correction: string | null = null;
      try {
        for (let ask = 1; ; ask++) {
          const body: ResponseCreateParamsNonStreaming = {
            model: this.model,
            instructions,
            input: correction
              ? `${input}\n\nYour previous answer was rejected: ${correction}. Answer again.`
              : input,
            text: { format: { type: 'json_schema', name: format.name, schema: format.schema, strict: true } },
            // Proposals are customers' plans: nothing kept on OpenAI's side beyond the call.
            store: false,
            ...(this.options.temperature !== null ? { temperature: this.options.temperature } : {}),
          };
          const { response, attempts: made } = await createResponse(this.client, body, {
            signal: context.signal,
            maxRetries: this.options.maxRetries,
            retryBaseMs: this.options.retryBaseMs,
            retryMaxMs: this.options.retryMaxMs,
            span,
          });
          attempts += made;
          usage.inputTokens += response.usage?.input_tokens ?? 0;
          usage.outputTokens += response.usage?.output_tokens ?? 0;
          countTokens('review', response);
          try {
            const value = parse(answerText(response));
            span.setAttributes({ 'assay.llm.calls': attempts, 'gen_ai.response.model': response.model });
            return {
              value,
              model: response.model,
              attempts,
              latencyMs: performance.now() - started,
              usage,
              prompt: { model: this.model, temperature: this.options.temperature, ...prompt },
            };
          } catch (error) {
            if (!(error instanceof LlmInvalidOutputError) || ask > 1) throw error;
            correction = error.message;
          }
        }
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        // What the failed answer cost in calls, for the stored review (see callsMade).
        const calls = attempts + (error instanceof LlmRequestError ? error.attempts : 0);
        throw error instanceof AppError ? Object.assign(error, { calls }) : error;
      } finally {
        span.end();
      }
    });
  }
}
