import { AppError } from '@assay/kit';
import { answerText, countTokens, createResponse } from '@assay/kit/llm';
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import OpenAI from 'openai';
import type { Response, ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import {
  bandOf,
  type ScoreContext,
  type ScoreResult,
  type Scorer,
  type ScoringSubjectInput,
  type Violation,
} from '../scorer.ts';
import { buildInput, DEFAULT_MAX_DIFF_CHARS, INSTRUCTIONS, PROMPT_VERSION } from './prompt.ts';
import { parseScoreOutput, type ScoreOutput } from './score-output.ts';
import { SCORE_FORMAT_NAME, SEVERITIES, scoreSchema } from './score-schema.ts';

export const DEFAULT_MODEL = 'gpt-5-mini';

export interface LlmScorerOptions {
  apiKey: string;
  /** Any OpenAI-compatible server, e.g. `http://127.0.0.1:8080/v1`; the SDK's default otherwise. */
  baseURL?: string;
  model?: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Retries after the first attempt, for transient failures only. */
  maxRetries: number;
  retryBaseMs: number;
  /** Caps every wait, `retry-after` included. */
  retryMaxMs: number;
  maxDiffChars?: number;
  maxOutputTokens?: number;
}

const tracer = trace.getTracer('assay-scoring');

/** Scores a pull request with a model through the Responses API and structured outputs. */
export class LlmScorer implements Scorer {
  readonly name = 'LLM' as const;
  readonly version: string;
  private readonly model: string;
  private readonly client: OpenAI;

  constructor(private readonly options: LlmScorerOptions) {
    this.model = options.model ?? DEFAULT_MODEL;
    this.version = `llm:${this.model}@${PROMPT_VERSION}`;
    // No SDK retries: the loop in `request` retries by error class, caps retry-after and stops on abort.
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: 0,
    });
  }

  score(subject: ScoringSubjectInput, context: ScoreContext): Promise<ScoreResult> {
    // Attributes carry sizes and outcomes only: never the key, the diff or the model's text.
    return tracer.startActiveSpan('llm score', async (span) => {
      span.setAttributes({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': this.model,
      });
      try {
        const response = await this.request(subject, context, span);
        span.setAttributes({
          'gen_ai.response.model': response.model,
          'gen_ai.usage.input_tokens': response.usage?.input_tokens ?? 0,
          'gen_ai.usage.output_tokens': response.usage?.output_tokens ?? 0,
        });
        await context.progress('llm answer received', 90);
        return this.result(parseScoreOutput(answerText(response)));
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute(
          'error.type',
          error instanceof AppError ? error.code : context.signal.aborted ? 'aborted' : 'unexpected',
        );
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private async request(subject: ScoringSubjectInput, context: ScoreContext, span: Span): Promise<Response> {
    const { signal } = context;
    const body: ResponseCreateParamsNonStreaming = {
      model: this.model,
      instructions: INSTRUCTIONS,
      input: buildInput(subject, this.options.maxDiffChars ?? DEFAULT_MAX_DIFF_CHARS),
      text: { format: { type: 'json_schema', name: SCORE_FORMAT_NAME, schema: scoreSchema, strict: true } },
      // Diffs are customers' code: nothing kept on OpenAI's side beyond the call.
      store: false,
      ...(this.options.maxOutputTokens ? { max_output_tokens: this.options.maxOutputTokens } : {}),
    };
    const { response } = await createResponse(this.client, body, {
      signal,
      maxRetries: this.options.maxRetries,
      retryBaseMs: this.options.retryBaseMs,
      retryMaxMs: this.options.retryMaxMs,
      span,
      onAttempt: (attempt) =>
        context.progress(attempt === 1 ? 'llm request' : `llm request, attempt ${attempt}`, 10),
    });
    countTokens('scoring', response);
    return response;
  }

  private result(output: ScoreOutput): ScoreResult {
    const value = Math.round(output.value * 10) / 10;
    return {
      value,
      band: bandOf(value),
      // Sorted so the same answer always stores the same result, whatever order the model chose.
      criteria: output.criteria.toSorted((a, b) => compare(a.criterion, b.criterion)),
      violations: output.violations.toSorted(compareViolations),
      scorerVersion: this.version,
    };
  }
}

/** By place (file, line; unknown lines first), then rule, the most severe first, then message. */
function compareViolations(a: Violation, b: Violation): number {
  return (
    compare(a.file, b.file) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    compare(a.rule, b.rule) ||
    SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
    compare(a.message, b.message)
  );
}

/** Code-unit order: the same in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
