import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/postgresql';
import { decodeCursor, pageSize, toPage } from '../graphql/pagination.ts';

interface Keyed {
  id: string;
  createdAt: Date;
}

/** Newest-first keyset pagination on (createdAt, id): stable under inserts, no OFFSET scans. */
export async function paginate<T extends Keyed>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: { first?: number | null; after?: string | null },
) {
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after);
  const filter = (
    cursor
      ? {
          $and: [
            where,
            {
              $or: [
                { createdAt: { $lt: cursor.createdAt } },
                { createdAt: cursor.createdAt, id: { $lt: cursor.id } },
              ],
            },
          ],
        }
      : where
  ) as FilterQuery<T>;
  const rows = (await em.find(entity, filter, {
    orderBy: { createdAt: 'desc', id: 'desc' } as never,
    limit: size + 1,
  })) as T[];
  return toPage(rows, size);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot exist, so lookups answer "not found" without a query error. */
export const isUuid = (id: string): boolean => UUID.test(id);
