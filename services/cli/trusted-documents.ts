import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as operations from './src/generated/graphql.ts';

// The CLI's trusted-documents manifest (`ASSAY_TRUSTED_DOCUMENTS`), from its generated operations:
// SHA-256 of each document's text, exactly as the CLI sends it → that text. `npm run cli:codegen`
// writes it after the operations; `--check` (in `npm run cli:check`, so `.ci/run`) fails on drift.

export const MANIFEST_PATH = join(import.meta.dirname, 'src', 'generated', 'trusted-documents.json');

/** id → text of every operation the CLI sends (fragments travel inside the operations using them). */
export function cliManifest(): Record<string, string> {
  const texts = Object.entries(operations)
    .filter(([name, value]) => name.endsWith('Document') && value instanceof operations.TypedDocumentString)
    .map(([, value]) => String(value));
  const entries = texts.map((text) => [createHash('sha256').update(text).digest('hex'), text] as const);
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

async function main(): Promise<void> {
  const documents = cliManifest();
  const manifest = `${JSON.stringify(documents, null, 2)}\n`;
  if (!process.argv.includes('--check')) {
    await writeFile(MANIFEST_PATH, manifest);
    console.log(`${MANIFEST_PATH}: ${Object.keys(documents).length} trusted documents`);
    return;
  }
  const current = await readFile(MANIFEST_PATH, 'utf8').catch(() => '');
  if (current !== manifest) {
    console.error(`${MANIFEST_PATH} is out of date with the CLI's operations: run npm run cli:codegen`);
    process.exit(1);
  }
}

if (import.meta.main) await main();
