import { randomUUID } from 'node:crypto';
import { BadUserInputError, type MikroORM } from '@assay/kit';
import { CatalogEntry } from './catalog-entry.entity.ts';
import type { CatalogEntryInput } from './catalog-entry.inputs.ts';
import { compileMatcher, type Match, patternProblem } from './matcher.ts';

type Matcher = (code: string, message: string | null) => Match;

/** The catalog of known failures, and the matcher compiled from it (again after every change). */
export class CatalogService {
  private matchers = new Map<string, Promise<Matcher>>();

  constructor(private readonly orm: MikroORM) {}

  async upsert(input: CatalogEntryInput, tenantId = 'default'): Promise<CatalogEntry> {
    const problem = input.messagePattern ? patternProblem(input.messagePattern) : null;
    if (problem) throw new BadUserInputError(problem);
    const em = this.orm.em.fork();
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
    this.matchers.delete(tenantId);
    return em.findOneOrFail(CatalogEntry, { tenantId, errorCode: input.errorCode });
  }

  /** The shipped catalog, stored at start (entries with the same code are replaced). */
  async load(entries: CatalogEntryInput[], tenantId = 'default'): Promise<void> {
    for (const entry of entries) await this.upsert(entry, tenantId);
  }

  /** The tenant's compiled matcher (patterns compiled once per catalog change). */
  matcher(tenantId = 'default'): Promise<Matcher> {
    let matcher = this.matchers.get(tenantId);
    if (!matcher) {
      matcher = this.list(tenantId).then(compileMatcher);
      matcher.catch(() => this.matchers.delete(tenantId));
      this.matchers.set(tenantId, matcher);
    }
    return matcher;
  }

  list(tenantId = 'default'): Promise<CatalogEntry[]> {
    return this.orm.em.fork().find(CatalogEntry, { tenantId }, { orderBy: { errorCode: 'asc' } });
  }

  findById(id: string): Promise<CatalogEntry | null> {
    return this.orm.em.fork().findOne(CatalogEntry, { id });
  }
}
