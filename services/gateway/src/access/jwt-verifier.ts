import { type Caller, isScope, type Scope, TENANT_PATTERN } from '@assay/kit/auth';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { AccessUnavailableError, AuthenticationError } from './access-errors.ts';

export interface JwtOptions {
  jwksUrl: string;
  issuer?: string;
  audience?: string;
  tenantClaim: string;
  scopeClaim: string;
}

/**
 * People behind an SSO: a JWT signed by a key of the provider's JWKS (fetched and cached by jose,
 * refetched when an unknown `kid` appears), with issuer, audience and expiry checked. One claim
 * names the tenant, another the scopes.
 */
export class JwtVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly options: JwtOptions) {
    this.keys = createRemoteJWKSet(new URL(options.jwksUrl), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
    });
  }

  async verify(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ['RS256', 'ES256', 'EdDSA', 'PS256'],
      }));
    } catch (error) {
      // The provider unreachable is ours to fix, not the token's: retry (503), keep the token.
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        throw new AccessUnavailableError(
          'the token could not be verified now (identity provider unreachable)',
        );
      }
      throw new AuthenticationError(describe(error));
    }
    const tenant = payload[this.options.tenantClaim];
    if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) {
      throw new AuthenticationError(`the token has no valid "${this.options.tenantClaim}" claim`);
    }
    const scopes = scopeList(payload[this.options.scopeClaim]);
    if (scopes.length === 0)
      throw new AuthenticationError(`the token grants no Assay scope (read, write, admin)`);
    return { tenant, scopes, subject: `jwt:${payload.sub ?? 'unknown'}` };
  }
}

function scopeList(claim: unknown): Scope[] {
  const values = typeof claim === 'string' ? claim.split(' ') : Array.isArray(claim) ? claim : [];
  return values.filter((v): v is Scope => typeof v === 'string' && isScope(v));
}

/** What the client may learn: why the token failed, never the provider's URL or a key. */
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `the token's "${error.claim}" claim is not accepted`;
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is not signed by a known key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  return 'the token is not a valid JWT';
}
