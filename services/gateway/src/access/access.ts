import type { Logger } from '@assay/kit';
import { ContextSigner } from '@assay/kit/auth';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { accessPlugin } from './access-plugin.ts';
import { AccessStore } from './access-store.ts';
import { Authenticator } from './authenticator.ts';
import { JwtVerifier } from './jwt-verifier.ts';
import { keyAdminResolvers, keyAdminTypeDefs } from './key-admin.ts';

export interface AccessConfig {
  DATABASE_URL?: string;
  ASSAY_HOST: string;
  ASSAY_CONTEXT_SECRET?: string;
  ASSAY_JWKS_URL?: string;
  ASSAY_JWT_ISSUER?: string;
  ASSAY_JWT_AUDIENCE?: string;
  ASSAY_JWT_TENANT_CLAIM: string;
  ASSAY_JWT_SCOPE_CLAIM: string;
  ASSAY_API_KEY_CACHE_MS: number;
}

export interface Access {
  store: AccessStore;
  authenticator: Authenticator;
  plugin: GatewayPlugin;
  typeDefs: string;
  resolvers: ReturnType<typeof keyAdminResolvers>;
  /** Creates the access schema and refuses an open bind with nothing to authenticate against. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function createAccess(config: AccessConfig, log: Logger): Access {
  if (!config.DATABASE_URL)
    throw new Error('DATABASE_URL is required: API keys live in PostgreSQL (npm start sets it)');
  if (!config.ASSAY_CONTEXT_SECRET) {
    throw new Error(
      'ASSAY_CONTEXT_SECRET is required: the secret callers are signed with for the subgraphs (npm start sets it)',
    );
  }
  const store = new AccessStore(config.DATABASE_URL);
  const jwt = config.ASSAY_JWKS_URL
    ? new JwtVerifier({
        jwksUrl: config.ASSAY_JWKS_URL,
        issuer: config.ASSAY_JWT_ISSUER,
        audience: config.ASSAY_JWT_AUDIENCE,
        tenantClaim: config.ASSAY_JWT_TENANT_CLAIM,
        scopeClaim: config.ASSAY_JWT_SCOPE_CLAIM,
      })
    : undefined;
  const authenticator = new Authenticator({ store, jwt, log, cacheMs: config.ASSAY_API_KEY_CACHE_MS });
  const signer = new ContextSigner(config.ASSAY_CONTEXT_SECRET);
  return {
    store,
    authenticator,
    plugin: accessPlugin(authenticator, signer),
    typeDefs: keyAdminTypeDefs,
    resolvers: keyAdminResolvers(store, authenticator),
    async start() {
      await store.migrate();
      if (LOOPBACK.has(config.ASSAY_HOST) || jwt) return;
      if ((await store.countUsable()) === 0) {
        throw new Error(
          `refusing to listen on ${config.ASSAY_HOST} with no API key and no ASSAY_JWKS_URL: anyone could read every tenant's data; create a key with "npm run keys -- create --tenant <t> --scopes read,write" or set ASSAY_JWKS_URL`,
        );
      }
    },
    async close() {
      await authenticator.close();
      await store.close();
    },
  };
}
