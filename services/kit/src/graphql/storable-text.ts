import type { MiddlewareFn } from 'type-graphql';
import { BadUserInputError } from '../errors.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what PostgreSQL refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string PostgreSQL cannot store exactly, and what is wrong with it. */
export function findUnstorableText(value: unknown, path: string): { path: string; what: string } | null {
  if (typeof value === 'string') {
    const found = UNSTORABLE.exec(value);
    if (!found) return null;
    return {
      path,
      what: found[0] === '\u0000' ? 'a NUL character (U+0000)' : 'an unpaired UTF-16 surrogate',
    };
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findUnstorableText(item, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = findUnstorableText(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Every argument of every field, in every subgraph: text PostgreSQL would refuse (U+0000) or store
 * as something else (a lone surrogate becomes U+FFFD) is the client's mistake, answered with
 * BAD_USER_INPUT naming the field, before a write could take it for an outage or a mismatch.
 */
export const rejectUnstorableText: MiddlewareFn = ({ args }, next) => {
  const found = findUnstorableText(args, '');
  if (found) {
    throw new BadUserInputError(
      `${found.path} contains ${found.what}, which cannot be stored; remove it and send the request again`,
    );
  }
  return next();
};
