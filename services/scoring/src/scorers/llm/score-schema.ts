/**
 * The structured-output contract for the model's answer: the shape of `ScoreResult` without what the
 * scorer derives itself (band, version). Strict mode needs every property listed in `required` and
 * `additionalProperties: false` on every object; an optional field is a `null` union instead.
 */
export const SCORE_FORMAT_NAME = 'pull_request_score';

export const SEVERITIES = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;

export const scoreSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'criteria', 'violations'],
  properties: {
    value: { type: 'number', minimum: 0, maximum: 10, description: 'Overall score, 0–10.' },
    criteria: {
      type: 'array',
      minItems: 1,
      description: 'The criteria the overall score is made of; their weights sum to 1.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['criterion', 'score', 'weight', 'detail'],
        properties: {
          criterion: { type: 'string', description: 'Stable snake_case name, e.g. test_coverage.' },
          score: { type: 'number', minimum: 0, maximum: 10 },
          weight: { type: 'number', minimum: 0, maximum: 1 },
          detail: { type: 'string', description: 'One sentence a reviewer can act on.' },
        },
      },
    },
    violations: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['file', 'line', 'rule', 'severity', 'message'],
        properties: {
          file: { type: 'string', description: 'Path in the new version of the repository.' },
          line: { type: ['integer', 'null'], description: 'Line in the new file, or null when unknown.' },
          rule: { type: 'string', description: 'Stable kebab-case rule name, e.g. no-empty-catch.' },
          severity: { type: 'string', enum: [...SEVERITIES] },
          message: { type: 'string' },
        },
      },
    },
  },
};
