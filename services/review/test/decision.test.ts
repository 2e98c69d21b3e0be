import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_RULE, type DecisionResult, decide } from '../src/decision/decide.ts';
import { reviewDelta } from '../src/decision/delta.ts';
import { proposalDiff } from '../src/decision/proposal-diff.ts';
import { loadPersonaSet } from '../src/personas/persona-set.ts';
import { OfflineReviewer } from '../src/reviewers/offline-reviewer.ts';
import type { PersonaVerdict } from '../src/reviewers/reviewer.ts';
import { PROPOSAL } from './support.ts';

const set = loadPersonaSet();
const v = (confidence: number, extra: Partial<PersonaVerdict> = {}): PersonaVerdict => ({
  confidence,
  verdict: confidence >= 0.75 ? 'APPROVE' : confidence < 0.4 ? 'REJECT' : 'REVISE',
  summary: 's',
  blockingIssues: [],
  securityConcerns: [],
  securityBlocking: false,
  suggestions: [],
  ...extra,
});
const panelOf = (verdicts: Record<string, PersonaVerdict>) =>
  set.personas.filter((p) => verdicts[p.id]).map((persona) => ({ persona, verdict: verdicts[persona.id]! }));

// Weights: architect 1, security 1.2, reliability 1, product 0.8, cost 0.7 (total 4.7).
const all = (c: number) => Object.fromEntries(set.personas.map((p) => [p.id, v(c)]));
const TABLE: {
  name: string;
  verdicts: Record<string, PersonaVerdict>;
  label: string | 'NO_QUORUM';
  confidence?: number;
}[] = [
  { name: 'all confident → APPROVE', verdicts: all(0.9), label: 'APPROVE', confidence: 0.9 },
  { name: 'exactly at approveAt → APPROVE', verdicts: all(0.75), label: 'APPROVE', confidence: 0.75 },
  { name: 'just under approveAt → REVISE', verdicts: all(0.74), label: 'REVISE', confidence: 0.74 },
  { name: 'exactly at rejectBelow → REVISE', verdicts: all(0.4), label: 'REVISE', confidence: 0.4 },
  { name: 'under rejectBelow → REJECT', verdicts: all(0.2), label: 'REJECT', confidence: 0.2 },
  {
    name: 'weights count: security (1.2) low pulls the mean down',
    verdicts: { ...all(0.9), security: v(0.1) },
    label: 'REVISE',
    confidence: 0.696, // (0.9 × 3.5 + 0.1 × 1.2) / 4.7
  },
  {
    name: 'a blocking security concern at ≥ securityBlockAt turns APPROVE into REVISE',
    verdicts: { ...all(0.9), security: v(0.6, { securityBlocking: true }) },
    label: 'REVISE',
  },
  {
    name: 'a blocking security concern below securityBlockAt does not',
    verdicts: { ...all(0.95), security: v(0.45, { securityBlocking: true }) },
    label: 'APPROVE',
  },
  {
    name: 'three of five with enough weight → a partial decision',
    verdicts: { architect: v(0.9), security: v(0.9), reliability: v(0.9) },
    label: 'APPROVE',
  },
  { name: 'two of five → no quorum', verdicts: { architect: v(0.9), security: v(0.9) }, label: 'NO_QUORUM' },
  {
    name: 'three of five but the lightest (2.5 of 4.7 < 3/5) → no quorum',
    verdicts: { product: v(0.9), cost: v(0.9), reliability: v(0.9) },
    label: 'NO_QUORUM',
  },
];

describe('the decision rule', () => {
  for (const row of TABLE) {
    test(row.name, () => {
      const result = decide(set, panelOf(row.verdicts), DEFAULT_RULE);
      if (row.label === 'NO_QUORUM') return assert.ok('quorum' in result, JSON.stringify(result));
      assert.ok(!('quorum' in result), 'a decision');
      const d = result as DecisionResult;
      assert.equal(d.label, row.label, d.rationale);
      if (row.confidence !== undefined) assert.equal(d.overallWeightedConfidence, row.confidence);
      assert.equal(d.partial, Object.keys(row.verdicts).length < set.personas.length);
    });
  }

  test('a partial decision names the missing personas, and dissent names who disagreed', () => {
    const d = decide(
      set,
      panelOf({ ...all(0.9), cost: v(0.3), product: undefined as never }).filter(Boolean),
    ) as DecisionResult;
    assert.deepEqual(d.missingPersonas, ['product']);
    assert.deepEqual(d.dissent, ['cost (REJECT): s']);
  });
});

describe('the revision delta', () => {
  test('issues gone are resolved, kept are open, fresh are new (compared by their words)', () => {
    const delta = reviewDelta(
      {
        label: 'REVISE',
        reviews: [
          { personaId: 'security', confidence: 0.5, blockingIssues: ['Say who may read it.', 'No rollback'] },
        ],
      },
      {
        label: 'APPROVE',
        reviews: [
          { personaId: 'security', confidence: 0.8, blockingIssues: ['no rollback!', 'Costs unbounded'] },
        ],
      },
    );
    assert.deepEqual(delta.resolvedIssues, ['Say who may read it.']);
    assert.deepEqual(delta.openIssues, ['No rollback']);
    assert.deepEqual(delta.newIssues, ['Costs unbounded']);
    assert.equal(delta.decisionChanged, true);
    assert.deepEqual(delta.confidenceChanges, [
      { personaId: 'security', before: 0.5, after: 0.8, change: 0.3 },
    ]);
  });

  test('the proposal diff lists changed fields only', () => {
    const after = {
      ...PROPOSAL,
      title: 'Cache scores per commit and PR',
      risks: [...PROPOSAL.risks, 'cache size'],
    };
    assert.deepEqual(proposalDiff(PROPOSAL, after), {
      title: { from: 'Cache scores per commit', to: 'Cache scores per commit and PR' },
      risks: { added: ['cache size'], removed: [] },
    });
  });
});

describe('personas as data', () => {
  test('the default set has five personas with positive weights', () => {
    assert.deepEqual(
      set.personas.map((p) => p.id),
      ['architect', 'security', 'reliability', 'product', 'cost'],
    );
    assert.ok(set.personas.every((p) => p.weight > 0 && p.instructions.length > 0));
  });

  test('a bad file is refused with every problem and where it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assay-personas-'));
    const path = join(dir, 'bad.yaml');
    await writeFile(
      path,
      'version: x\npersonas:\n  - { id: a, name: A, weight: 0, instructions: i, version: 1 }\n  - { id: a, name: B, weight: 1, instructions: i, version: 1 }\n',
    );
    assert.throws(
      () => loadPersonaSet(path),
      /personas\.0\.weight: .*; personas: persona ids must be unique/,
    );
  });
});

describe('the offline reviewer', () => {
  const reviewer = new OfflineReviewer();
  const signal = new AbortController().signal;
  const idea =
    'Let the team cache scores per commit so that CI re-runs are free. Store the API token in the service config. It could serve a stale score after a rubric change.';

  test('the same idea always gets the same proposal, reviews and decision, marked offline-heuristic', async () => {
    const once = async () => {
      const proposal = await reviewer.expand({ idea, extraContext: null }, { signal });
      const reviews = await Promise.all(
        set.personas.map((p) => reviewer.review(p, proposal.value, { signal })),
      );
      return {
        proposal,
        reviews,
        decision: decide(
          set,
          set.personas.map((persona, i) => ({ persona, verdict: reviews[i]!.value })),
        ),
      };
    };
    const [a, b] = [await once(), await once()];
    assert.deepEqual(a, b);
    assert.ok([a.proposal, ...a.reviews].every((answer) => answer.model === 'offline-heuristic'));
    assert.deepEqual(a.proposal.value.goals, [
      'Let the team cache scores per commit so that CI re-runs are free.',
    ]);
    assert.deepEqual(a.proposal.value.risks, ['It could serve a stale score after a rubric change.']);
  });

  test('a token without protection is a blocking security concern; saying it is encrypted is not', async () => {
    const security = set.personas.find((p) => p.id === 'security')!;
    const ask = async (text: string) =>
      (
        await reviewer.review(
          security,
          (
            await reviewer.expand({ idea: text, extraContext: null }, { signal })
          ).value,
          { signal },
        )
      ).value;
    assert.equal((await ask(idea)).securityBlocking, true);
    assert.equal((await ask(`${idea} The token is encrypted at rest.`)).securityBlocking, false);
  });
});
