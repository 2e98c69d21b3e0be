import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_TENANT } from '@assay/kit/auth';
import type { AccessStore } from './access-store.ts';
import { hashMatches, keyPrefix } from './api-key.ts';

/** Where `npm start` keeps the development key: the README's examples, the CLI and the tests read it. */
export function devKeyPath(dataDir: string): string {
  return join(resolve(dataDir), 'dev-api-key');
}

/**
 * The local default: a `read write admin` key for the `default` tenant, created on first start and
 * written (mode 0600) beside the data. Returns the key and whether it is new, so the supervisor can
 * print a new one once. A file whose key the database no longer knows (a new DATABASE_URL, a revoked
 * key) is replaced.
 */
export async function ensureDevApiKey(
  store: AccessStore,
  dataDir: string,
): Promise<{ key: string; created: boolean }> {
  const path = devKeyPath(dataDir);
  const existing = await readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  if (existing) {
    const prefix = keyPrefix(existing);
    const record = prefix ? await store.findByPrefix(prefix) : null;
    if (record && !record.revokedAt && hashMatches(existing, record.hash))
      return { key: existing, created: false };
  }
  const { key } = await store.create(
    {
      tenant: DEFAULT_TENANT,
      name: 'development key (npm start)',
      scopes: ['read', 'write', 'admin'],
      expiresAt: null,
    },
    { tenant: DEFAULT_TENANT, subject: 'npm start' },
  );
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  await chmod(path, 0o600); // writeFile's mode applies only when it creates the file
  return { key, created: true };
}
