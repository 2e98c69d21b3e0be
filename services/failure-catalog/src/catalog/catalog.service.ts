import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@assay/kit';
import { CatalogEntry } from './catalog-entry.entity.ts';
import type { CatalogEntryInput } from './catalog-entry.inputs.ts';

/** The catalog of known failures. */
export class CatalogService {
  constructor(private readonly orm: MikroORM) {}

  async upsert(input: CatalogEntryInput, tenantId = 'default'): Promise<CatalogEntry> {
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
        updatedAt: new Date(),
      },
      { onConflictFields: ['tenantId', 'errorCode'], onConflictExcludeFields: ['id', 'createdAt'] },
    );
    return em.findOneOrFail(CatalogEntry, { tenantId, errorCode: input.errorCode });
  }

  list(tenantId = 'default'): Promise<CatalogEntry[]> {
    return this.orm.em.fork().find(CatalogEntry, { tenantId }, { orderBy: { errorCode: 'asc' } });
  }

  findByCode(errorCode: string, tenantId = 'default'): Promise<CatalogEntry | null> {
    return this.orm.em.fork().findOne(CatalogEntry, { tenantId, errorCode });
  }

  findById(id: string): Promise<CatalogEntry | null> {
    return this.orm.em.fork().findOne(CatalogEntry, { id });
  }
}
