import type { CatalogEntry } from './catalog-entry.entity.ts';

export type MatchKind = 'EXACT' | 'PREFIX' | 'PATTERN' | 'KEYWORD' | 'NONE';

export interface Match {
  entry: CatalogEntry | null;
  type: MatchKind;
  confidence: number;
}

/** Characters of a message a pattern or keyword sees: bounds the work of every match. */
export const MAX_MATCHED_CHARS = 2000;
const MAX_PATTERN_CHARS = 200;
/** A quantified group that itself contains a quantifier, e.g. `(a+)+`, `(\w*)*`, `(a|aa){2,}`. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/;
/** Words that say nothing about which failure it is. */
const GENERIC = new Set([
  'error',
  'failed',
  'failure',
  'the',
  'and',
  'for',
  'with',
  'not',
  'was',
  'run',
  'request',
]);
/** KEYWORD needs at least this many of an entry's words, and this share of them. */
const MIN_KEYWORDS = 2;
const MIN_SHARE = 0.5;

/** Why a pattern is refused, or null when it is usable. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_CHARS) return `messagePattern is over ${MAX_PATTERN_CHARS} characters`;
  if (NESTED_QUANTIFIER.test(pattern))
    return 'messagePattern nests quantifiers (like (a+)+), which can take exponential time; rewrite it';
  try {
    new RegExp(pattern, 'i');
  } catch (error) {
    return `messagePattern does not compile: ${(error as Error).message}`;
  }
  return null;
}

const words = (text: string) =>
  new Set(
    text
      .slice(0, MAX_MATCHED_CHARS)
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length >= 3 && !GENERIC.has(w)),
  );

/**
 * The catalog compiled once (patterns included): first hit wins, in this order — EXACT code (1.0),
 * PREFIX code family (0.9, longest prefix first), PATTERN on the message (0.8), KEYWORD overlap
 * (up to 0.7: at least two of the entry's non-generic words and half of them), else NONE.
 * Patterns and keywords see the first MAX_MATCHED_CHARS characters of the message only, and
 * patterns with nested quantifiers are refused, so no message can make matching slow.
 */
export function compileMatcher(entries: CatalogEntry[]): (code: string, message: string | null) => Match {
  const byCode = new Map(entries.map((e) => [e.errorCode, e]));
  const prefixed = entries
    .filter((e) => e.codePrefix)
    .sort((a, b) => b.codePrefix!.length - a.codePrefix!.length);
  const patterned = entries.flatMap((entry) =>
    entry.messagePattern && !patternProblem(entry.messagePattern)
      ? [{ entry, regex: new RegExp(entry.messagePattern, 'i') }]
      : [],
  );
  const keyworded = entries
    .map((entry) => ({
      entry,
      keywords: [...new Set(entry.keywords.map((k) => k.toLowerCase()))].filter((k) => !GENERIC.has(k)),
    }))
    .filter((k) => k.keywords.length >= MIN_KEYWORDS);
  return (code, message) => {
    const exact = byCode.get(code);
    if (exact) return { entry: exact, type: 'EXACT', confidence: 1 };
    const prefix = prefixed.find((e) => code.startsWith(e.codePrefix!));
    if (prefix) return { entry: prefix, type: 'PREFIX', confidence: 0.9 };
    const text = (message ?? '').slice(0, MAX_MATCHED_CHARS);
    const pattern = patterned.find((p) => p.regex.test(text));
    if (pattern) return { entry: pattern.entry, type: 'PATTERN', confidence: 0.8 };
    const seen = words(text);
    let best: Match = { entry: null, type: 'NONE', confidence: 0 };
    for (const { entry, keywords } of keyworded) {
      const hits = keywords.filter((k) => seen.has(k)).length;
      const share = hits / keywords.length;
      if (hits >= MIN_KEYWORDS && share >= MIN_SHARE && 0.7 * share > best.confidence)
        best = { entry, type: 'KEYWORD', confidence: Math.round(0.7 * share * 100) / 100 };
    }
    return best;
  };
}
