import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { Severity } from './catalog-entry.entity.ts';
import type { CatalogEntryInput } from './catalog-entry.inputs.ts';

/** The catalog that ships with Assay (data, not code). */
export const DEFAULT_CATALOG_PATH = join(import.meta.dirname, '..', '..', 'catalog', 'default.yaml');

const entrySchema = z.object({
  errorCode: z.string().regex(/^[A-Z][A-Z0-9_]{1,79}$/),
  title: z.string().min(1).max(200),
  category: z.string().min(1).max(80),
  severity: z.enum(Severity),
  retryable: z.boolean(),
  recoveryMode: z.string().max(80).optional(),
  recoverySuggestion: z.string().max(2000).optional(),
  codePrefix: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,39}$/)
    .optional(),
  messagePattern: z.string().max(200).optional(),
  keywords: z.array(z.string().max(40)).max(20).default([]),
});

/** Reads and checks the shipped catalog; a bad file names the entry and the field. */
export function loadDefaultCatalog(path = DEFAULT_CATALOG_PATH): CatalogEntryInput[] {
  const parsed = z
    .object({ entries: z.array(entrySchema).min(1) })
    .safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `catalog ${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data.entries as CatalogEntryInput[];
}
