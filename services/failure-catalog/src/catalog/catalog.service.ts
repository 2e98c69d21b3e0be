import { randomUUID } from 'node:crypto';
import { BadUserInputError, type Caller, type EntityManager, type MikroORM, recordAudit } from '@assay/kit';
import { CatalogEntry } from './catalog-entry.entity.ts';
import type { CatalogEntryInput } from './catalog-entry.inputs.ts';
import { compileMatcher, type Match, patternProblem } from './matcher.ts';

type Matcher = (code: string, message: string | null) => Match;

/**
 * The `tenant_id` of the shipped catalog (catalog/default.yaml): one copy, shared by every tenant.
 * Never a tenant's id (TENANT_PATTERN starts with a letter or digit), so no caller can write it; a
 * tenant's own entry for the same code replaces the shipped one for that tenant only.
 */
export const SHIPPED_CATALOG = '*';

/** The catalog of known failures, and the matcher compiled from it per tenant (again after every change). */
export class CatalogService {
  private matchers = new Map<string, Promise<Matcher>>();

  constructor(private readonly orm: MikroORM) {}

  /** The caller's tenant's entry for `input.errorCode`, created or replaced, audited in the same transaction. */
  async upsert(input: CatalogEntryInput, caller: Caller): Promise<CatalogEntry> {
    const entry = await this.orm.em.fork().transactional(async (em) => {
      await this.write(em, input, caller.tenant);
      const stored = await em.findOneOrFail(CatalogEntry, {
        tenantId: caller.tenant,
        errorCode: input.errorCode,
      });
      recordAudit(em, caller, 'catalog.entry_upserted', stored.id, { errorCode: input.errorCode });
      return stored;
    });
    this.matchers.delete(caller.tenant);
    return entry;
  }

  /** The shipped catalog, stored at start as every tenant's (entries with the same code are replaced). */
  async load(entries: CatalogEntryInput[]): Promise<void> {
    const em = this.orm.em.fork();
    for (const entry of entries) await this.write(em, entry, SHIPPED_CATALOG);
    this.matchers.clear();
  }

  private async write(em: EntityManager, input: CatalogEntryInput, tenantId: string): Promise<void> {
    const problem = input.messagePattern ? patternProblem(input.messagePattern) : null;
    if (problem) throw new BadUserInputError(problem);
    await em.upsert(
      CatalogEntry,
      {
        id: randomUUID(),
        createdAt: new Date(),
        tenantId,
        errorCode: input.errorCode,
        title: input.title,
        category: input.category,
        severity: input.severity,
        retryable: input.retryable,
        recoveryMode: input.recoveryMode ?? null,
        recoverySuggestion: input.recoverySuggestion ?? null,
        codePrefix: input.codePrefix ?? null,
        messagePattern: input.messagePattern ?? null,
        keywords: input.keywords ?? [],
        updatedAt: new Date(),
      },
      { onConflictFields: ['tenantId', 'errorCode'], onConflictExcludeFields: ['id', 'createdAt'] },
    );
  }

  /** The tenant's compiled matcher (patterns compiled once per catalog change). */
  matcher(tenantId: string): Promise<Matcher> {
    let matcher = this.matchers.get(tenantId);
    if (!matcher) {
      matcher = this.list(tenantId).then(compileMatcher);
      matcher.catch(() => this.matchers.delete(tenantId));
      this.matchers.set(tenantId, matcher);
    }
    return matcher;
  }

  /** The tenant's catalog: the shipped entries, each replaced by the tenant's own of the same code, and its own. */
  async list(tenantId: string): Promise<CatalogEntry[]> {
    const rows = await this.orm.em
      .fork()
      .find(
        CatalogEntry,
        { tenantId: { $in: [tenantId, SHIPPED_CATALOG] } },
        { orderBy: { errorCode: 'asc' } },
      );
    const byCode = new Map<string, CatalogEntry>();
    for (const row of rows) {
      const seen = byCode.get(row.errorCode);
      if (!seen || seen.tenantId === SHIPPED_CATALOG) byCode.set(row.errorCode, row);
    }
    return [...byCode.values()];
  }

  /** An entry the tenant's failures can point at: its own, or a shipped one. */
  findById(id: string, tenantId: string): Promise<CatalogEntry | null> {
    return this.orm.em.fork().findOne(CatalogEntry, { id, tenantId: { $in: [tenantId, SHIPPED_CATALOG] } });
  }
}
