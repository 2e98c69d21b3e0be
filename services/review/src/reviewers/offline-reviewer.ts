import type { Persona } from '../personas/persona-set.ts';
import type {
  CallContext,
  ExpandInput,
  ModelAnswer,
  PersonaVerdict,
  Proposal,
  Reviewer,
  Verdict,
} from './reviewer.ts';

export const OFFLINE_MODEL = 'offline-heuristic';

/**
 * The reviewer without an API key: fixed keyword and structure rules, so the same idea always gets
 * the same proposal, reviews and decision, and every result says `model: "offline-heuristic"`.
 *
 * Expansion: the first sentence is the title and summary; sentences naming a goal ("so that",
 * "goal", "want", "need") are goals; ones naming a risk ("risk", "might", "could", "fail") are
 * risks; questions are open questions; the rest is the design.
 *
 * Each persona starts at 0.6 and looks for its topic (below): every topic word found is +0.05
 * (at most +0.2); a missing "must have" is a blocking issue and −0.15. The security persona also
 * flags sensitive words (password, secret, token, credential, personal data, PII) without a
 * protection word (encrypt, hash, vault, redact) as a blocking security concern. An idea under 15
 * words is −0.1 for everyone ("too little detail to judge"). Verdict from confidence: ≥ 0.75
 * APPROVE, < 0.4 REJECT, else REVISE.
 */
export class OfflineReviewer implements Reviewer {
  readonly model = OFFLINE_MODEL;

  async expand(input: ExpandInput, _context: CallContext): Promise<ModelAnswer<Proposal>> {
    const text = [input.idea, input.editNotes ?? ''].join(' ').trim();
    const sentences = splitSentences(text);
    const title = (sentences[0] ?? text).slice(0, 120);
    const pick = (pattern: RegExp) => sentences.filter((s) => pattern.test(s));
    const goals = pick(/\b(so that|goal|want|need|allow|enable)\b/i);
    const risks = pick(/\b(risk|might|could|fail|break|lose)\b/i);
    const openQuestions = sentences.filter((s) => s.endsWith('?'));
    const design = sentences.filter(
      (s) => !goals.includes(s) && !risks.includes(s) && !openQuestions.includes(s),
    );
    return answer(
      {
        title,
        summary: sentences.slice(0, 2).join(' '),
        goals,
        nonGoals: pick(/\b(not|won't|without|out of scope)\b/i),
        design: design.join(' '),
        risks,
        openQuestions,
      },
      { rules: 'offline@1' },
    );
  }

  async review(
    persona: Persona,
    proposal: Proposal,
    _context: CallContext,
  ): Promise<ModelAnswer<PersonaVerdict>> {
    const text = JSON.stringify(proposal).toLowerCase();
    const topic = TOPICS[persona.id] ?? { words: [], mustHave: [] };
    let confidence = 0.6;
    const found = topic.words.filter((w) => text.includes(w));
    confidence += Math.min(0.2, found.length * 0.05);
    const blockingIssues: string[] = [];
    for (const need of topic.mustHave) {
      if (!need.any.some((w) => text.includes(w))) {
        blockingIssues.push(need.issue);
        confidence -= 0.15;
      }
    }
    const words =
      proposal.summary.split(/\s+/).filter(Boolean).length +
      proposal.design.split(/\s+/).filter(Boolean).length;
    if (words < 15) confidence -= 0.1;
    const securityConcerns: string[] = [];
    let securityBlocking = false;
    if (persona.id === 'security') {
      const sensitive = SENSITIVE.filter((w) => text.includes(w));
      if (sensitive.length > 0 && !PROTECTION.some((w) => text.includes(w))) {
        securityConcerns.push(`handles ${sensitive.join(', ')} without saying how it is protected`);
        securityBlocking = true;
        blockingIssues.push('say how sensitive data is protected (encryption, hashing, a vault)');
        confidence -= 0.15;
      }
    }
    confidence = Math.round(Math.max(0, Math.min(1, confidence)) * 100) / 100;
    const verdict: Verdict = confidence >= 0.75 ? 'APPROVE' : confidence < 0.4 ? 'REJECT' : 'REVISE';
    return answer(
      {
        confidence,
        verdict,
        summary: `${persona.name}: ${found.length} of ${topic.words.length} ${persona.id} topics covered; ${blockingIssues.length} blocking issue(s).`,
        blockingIssues,
        securityConcerns,
        securityBlocking,
        suggestions: topic.words
          .filter((w) => !found.includes(w))
          .slice(0, 3)
          .map((w) => `address ${w}`),
      },
      { rules: 'offline@1', persona: persona.id, personaVersion: persona.version },
    );
  }
}

interface Topic {
  words: string[];
  mustHave: { any: string[]; issue: string }[];
}

const TOPICS: Record<string, Topic> = {
  architect: {
    words: ['component', 'interface', 'api', 'schema', 'database', 'service', 'module', 'boundary'],
    mustHave: [
      {
        any: ['api', 'interface', 'schema', 'component', 'service'],
        issue: 'describe the components and their interfaces',
      },
    ],
  },
  security: {
    words: ['auth', 'permission', 'encrypt', 'audit', 'access', 'tenant', 'secret', 'token'],
    mustHave: [
      { any: ['auth', 'permission', 'access'], issue: 'say who may use it and how access is checked' },
    ],
  },
  reliability: {
    words: ['retry', 'timeout', 'rollback', 'monitor', 'alert', 'backup', 'idempot', 'failover'],
    mustHave: [
      { any: ['rollback', 'roll back', 'feature flag', 'revert'], issue: 'describe how to roll it back' },
    ],
  },
  product: {
    words: ['user', 'customer', 'team', 'metric', 'success', 'problem', 'goal', 'adoption'],
    mustHave: [{ any: ['user', 'customer', 'team'], issue: 'name who it is for' }],
  },
  cost: {
    words: ['cost', 'budget', 'cheap', 'expensive', 'capacity', 'scale', 'license', 'operat'],
    mustHave: [{ any: ['cost', 'budget', 'capacity'], issue: 'estimate what it costs to run' }],
  },
};

const SENSITIVE = ['password', 'secret', 'token', 'credential', 'personal data', 'pii'];
const PROTECTION = ['encrypt', 'hash', 'vault', 'redact'];

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function answer<T>(value: T, prompt: Record<string, unknown>): ModelAnswer<T> {
  return {
    value,
    model: OFFLINE_MODEL,
    attempts: 1,
    latencyMs: 0,
    usage: { inputTokens: 0, outputTokens: 0 },
    prompt,
  };
}
