import type { Proposal } from '../reviewers/reviewer.ts';

export type FieldChange = { from: string; to: string } | { added: string[]; removed: string[] };

/** What changed from one proposal version to the next: scalar fields from/to, lists added/removed. */
export function proposalDiff(before: Proposal, after: Proposal): Record<string, FieldChange> {
  const diff: Record<string, FieldChange> = {};
  for (const key of Object.keys(after) as (keyof Proposal)[]) {
    const a = before[key];
    const b = after[key];
    if (Array.isArray(a) && Array.isArray(b)) {
      const added = b.filter((x) => !a.includes(x));
      const removed = a.filter((x) => !b.includes(x));
      if (added.length || removed.length) diff[key] = { added, removed };
    } else if (a !== b) {
      diff[key] = { from: String(a ?? ''), to: String(b ?? '') };
    }
  }
  return diff;
}
