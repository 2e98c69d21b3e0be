import { LlmInvalidOutputError } from '@assay/kit/llm';
import type { CriterionScore, Violation, ViolationSeverity } from '../scorer.ts';
import { SEVERITIES } from './score-schema.ts';

export interface ScoreOutput {
  value: number;
  criteria: CriterionScore[];
  violations: Violation[];
}

/** How far the weights may sum from 1: models write 0.33 three times. */
const WEIGHT_TOLERANCE = 0.02;

/**
 * Parses and checks the model's text against the schema and the ranges the schema cannot express.
 * Error messages name the field, never its content.
 */
export function parseScoreOutput(text: string): ScoreOutput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message quotes the text, which may quote the diff.
    throw new LlmInvalidOutputError('output is not valid JSON');
  }
  const root = record(json, 'output', ['value', 'criteria', 'violations']);
  const value = number(root.value, 'value', 0, 10);
  const criteria = list(root.criteria, 'criteria').map(criterion);
  if (criteria.length === 0) throw new LlmInvalidOutputError('criteria is empty');
  const names = new Set(criteria.map((c) => c.criterion));
  if (names.size !== criteria.length) throw new LlmInvalidOutputError('criteria names are not unique');
  const weights = criteria.reduce((sum, c) => sum + c.weight, 0);
  if (Math.abs(weights - 1) > WEIGHT_TOLERANCE) {
    throw new LlmInvalidOutputError(`criteria weights sum to ${weights.toFixed(3)}, not 1`);
  }
  return {
    value,
    criteria,
    violations: list(root.violations, 'violations').map(violation),
  };
}

function criterion(item: unknown, index: number): CriterionScore {
  const path = `criteria[${index}]`;
  const c = record(item, path, ['criterion', 'score', 'weight', 'detail']);
  return {
    criterion: string(c.criterion, `${path}.criterion`, true),
    score: number(c.score, `${path}.score`, 0, 10),
    weight: number(c.weight, `${path}.weight`, 0, 1),
    detail: string(c.detail, `${path}.detail`, false),
  };
}

function violation(item: unknown, index: number): Violation {
  const path = `violations[${index}]`;
  const v = record(item, path, ['file', 'line', 'rule', 'severity', 'message']);
  if (v.line !== null && !(Number.isSafeInteger(v.line) && (v.line as number) >= 1)) {
    throw new LlmInvalidOutputError(`${path}.line must be a positive integer or null`);
  }
  if (!SEVERITIES.includes(v.severity as ViolationSeverity)) {
    throw new LlmInvalidOutputError(`${path}.severity must be one of ${SEVERITIES.join(', ')}`);
  }
  return {
    file: string(v.file, `${path}.file`, true),
    line: v.line as number | null,
    rule: string(v.rule, `${path}.rule`, true),
    severity: v.severity as ViolationSeverity,
    message: string(v.message, `${path}.message`, false),
  };
}

/** An object with exactly these keys, as `additionalProperties: false` and `required` demand. */
function record(value: unknown, path: string, keys: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LlmInvalidOutputError(`${path} must be an object`);
  }
  const actual = Object.keys(value);
  const missing = keys.filter((key) => !actual.includes(key));
  const extra = actual.filter((key) => !keys.includes(key));
  if (missing.length > 0) throw new LlmInvalidOutputError(`${path} lacks ${missing.join(', ')}`);
  if (extra.length > 0) throw new LlmInvalidOutputError(`${path} has unexpected ${extra.join(', ')}`);
  return value as Record<string, unknown>;
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new LlmInvalidOutputError(`${path} must be an array`);
  return value;
}

function number(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new LlmInvalidOutputError(`${path} must be a number from ${min} to ${max}`);
  }
  return value;
}

function string(value: unknown, path: string, nonEmpty: boolean): string {
  if (typeof value !== 'string' || (nonEmpty && value.trim() === '')) {
    throw new LlmInvalidOutputError(`${path} must be a${nonEmpty ? ' non-empty' : ''} string`);
  }
  return value;
}
