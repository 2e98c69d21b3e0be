import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { freePort } from '@assay/kit/testing';
import { SignJWT } from 'jose';
import { JwtVerifier } from '../src/access/jwt-verifier.ts';

// The identity provider unreachable is not the token's fault: 503 SERVICE_UNAVAILABLE (retry),
// never 401 (which tells a client to throw its token away).
test('a JWKS that cannot be reached answers 503 SERVICE_UNAVAILABLE, not 401, and names no URL', async () => {
  const port = await freePort(); // nothing listens there
  const verifier = new JwtVerifier({
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    tenantClaim: 'tenant',
    scopeClaim: 'scope',
  });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const token = await new SignJWT({ tenant: 'acme', scope: 'read' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setExpirationTime('5m')
    .sign(privateKey);
  await assert.rejects(verifier.verify(token), (error: Error & { extensions?: Record<string, unknown> }) => {
    assert.equal(error.extensions?.code, 'SERVICE_UNAVAILABLE');
    assert.equal((error.extensions?.http as { status?: number } | undefined)?.status, 503);
    assert.match(error.message, /identity provider unreachable/);
    assert.doesNotMatch(error.message, /127\.0\.0\.1|jwks/);
    return true;
  });
});
