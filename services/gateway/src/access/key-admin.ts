import { type Caller, hasScope, isScope, type Scope } from '@assay/kit/auth';
import { GraphQLError } from 'graphql';
import { ScopeError } from './access-errors.ts';
import type { AccessContext } from './access-plugin.ts';
import type { AccessStore, ApiKeyRecord } from './access-store.ts';
import type { Authenticator } from './authenticator.ts';

/**
 * Key management for a tenant's admins, served by the gateway itself (it owns identities): added to
 * the supergraph as gateway-resolved fields. Every field needs `admin` and sees only the caller's tenant.
 */
export const keyAdminTypeDefs = /* GraphQL */ `
  "An API key of the caller's tenant. The key itself is shown once, when it is created."
  type ApiKey {
    id: ID!
    "First characters of the key (assay_<prefix>_...), to recognise it."
    prefix: String!
    name: String!
    scopes: [String!]!
    createdAt: String!
    createdBy: String!
    expiresAt: String
    revokedAt: String
    lastUsedAt: String
  }
  type CreatedApiKey {
    "The key. Store it now: only its hash is kept."
    key: String!
    apiKey: ApiKey!
  }
  input CreateApiKeyInput {
    name: String!
    "read, write, admin (admin implies write, write implies read)."
    scopes: [String!]!
    "Days until it expires; omitted: never."
    expiresInDays: Int
  }
  extend type Query {
    apiKeys: [ApiKey!]!
  }
  extend type Mutation {
    createApiKey(input: CreateApiKeyInput!): CreatedApiKey!
    revokeApiKey(id: ID!): ApiKey!
  }
`;

function admin(context: Partial<AccessContext>): Caller {
  const caller = context.caller;
  if (!caller || !hasScope(caller, 'admin')) throw new ScopeError('admin');
  return caller;
}

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** A key as it is shown (GraphQL, `npm run keys -- list --json`): never its hash. */
export function apiKeyView(record: ApiKeyRecord) {
  return {
    id: record.id,
    prefix: record.prefix,
    name: record.name,
    scopes: record.scopes,
    createdAt: record.createdAt.toISOString(),
    createdBy: record.createdBy,
    expiresAt: record.expiresAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
  };
}

/** Checks what a key may be created with; shared by GraphQL and `npm run keys`. */
export function validateNewKey(input: { name: string; scopes: string[]; expiresInDays?: number | null }): {
  name: string;
  scopes: Scope[];
  expiresAt: Date | null;
} {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw badInput('name must be 1 to 100 characters');
  if (input.scopes.length === 0) throw badInput('scopes must name at least one of read, write, admin');
  const unknown = input.scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) throw badInput(`unknown scopes ${unknown.join(', ')}: use read, write, admin`);
  const days = input.expiresInDays;
  if (days != null && (!Number.isInteger(days) || days < 1 || days > 3650)) {
    throw badInput('expiresInDays must be a whole number from 1 to 3650');
  }
  return {
    name,
    scopes: [...new Set(input.scopes)] as Scope[],
    expiresAt: days == null ? null : new Date(Date.now() + days * 86_400_000),
  };
}

export function keyAdminResolvers(store: AccessStore, authenticator: Authenticator) {
  return {
    Query: {
      apiKeys: async (_: unknown, __: unknown, context: AccessContext) =>
        (await store.list(admin(context).tenant)).map(apiKeyView),
    },
    Mutation: {
      createApiKey: async (
        _: unknown,
        { input }: { input: { name: string; scopes: string[]; expiresInDays?: number | null } },
        context: AccessContext,
      ) => {
        const caller = admin(context);
        const { key, record } = await store.create(
          { tenant: caller.tenant, ...validateNewKey(input) },
          caller,
        );
        return { key, apiKey: apiKeyView(record) };
      },
      revokeApiKey: async (_: unknown, { id }: { id: string }, context: AccessContext) => {
        const caller = admin(context);
        const record = await store.revoke(id, caller, caller.tenant);
        if (!record)
          throw new GraphQLError(`API key ${JSON.stringify(id)} does not exist`, {
            extensions: { code: 'NOT_FOUND' },
          });
        authenticator.forget(record.prefix);
        return apiKeyView(record);
      },
    },
  };
}
