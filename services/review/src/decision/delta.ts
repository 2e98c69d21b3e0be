import type { Verdict } from '../reviewers/reviewer.ts';

export interface ReviewSnapshot {
  label: Verdict | null;
  reviews: { personaId: string; confidence: number; blockingIssues: string[] }[];
}

export interface ReviewDelta {
  decisionChanged: boolean;
  resolvedIssues: string[];
  newIssues: string[];
  openIssues: string[];
  confidenceChanges: {
    personaId: string;
    before: number | null;
    after: number | null;
    change: number | null;
  }[];
}

/** Issues compare by their words: case, spacing and punctuation do not make a new issue. */
export const normaliseIssue = (issue: string) =>
  issue
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/**
 * A revision against its parent: a parent's blocking issue no persona raises any more is resolved
 * (whether or not the revision claimed it in `addressedIssues`: the panel no longer sees it); one
 * still raised is open; one only the revision has is new.
 */
export function reviewDelta(parent: ReviewSnapshot, child: ReviewSnapshot): ReviewDelta {
  const issues = (s: ReviewSnapshot) => {
    const byKey = new Map<string, string>();
    for (const r of s.reviews) for (const issue of r.blockingIssues) byKey.set(normaliseIssue(issue), issue);
    return byKey;
  };
  const before = issues(parent);
  const after = issues(child);
  const personas = [...new Set([...parent.reviews, ...child.reviews].map((r) => r.personaId))];
  const confidence = (s: ReviewSnapshot, id: string) =>
    s.reviews.find((r) => r.personaId === id)?.confidence ?? null;
  return {
    decisionChanged: parent.label !== child.label,
    resolvedIssues: [...before].filter(([key]) => !after.has(key)).map(([, issue]) => issue),
    openIssues: [...before].filter(([key]) => after.has(key)).map(([, issue]) => issue),
    newIssues: [...after].filter(([key]) => !before.has(key)).map(([, issue]) => issue),
    confidenceChanges: personas.map((personaId) => {
      const b = confidence(parent, personaId);
      const a = confidence(child, personaId);
      return {
        personaId,
        before: b,
        after: a,
        change: a !== null && b !== null ? Math.round((a - b) * 1000) / 1000 : null,
      };
    }),
  };
}
