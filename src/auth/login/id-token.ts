import { jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { RemoteKeySet } from './jwks.js';

export interface IdTokenCheck {
  keys: RemoteKeySet;
  issuer: string;
  audience: string;
  /** Asymmetric algorithms only: an HMAC "signature" keyed with a public key would be forgeable. */
  algorithms: string[];
  now: () => Date;
}

/**
 * Verifies signature, expiry and not-before with jose, then issuer and audience ourselves so the messages say what
 * was expected and what arrived (`invalid audience: expected mcp-registry, got [sigstore]`), as the official ones do.
 */
export async function verifyIdToken(token: string, check: IdTokenCheck): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, check.keys.getKey, {
      algorithms: check.algorithms,
      requiredClaims: ['exp'],
      currentDate: check.now(),
    }));
  } catch (error) {
    throw new Error(`failed to parse token: ${joseReason(error)}`, { cause: error });
  }
  if (payload.iss !== check.issuer) {
    throw new Error(`invalid issuer: expected ${check.issuer}, got ${payload.iss ?? ''}`);
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud === undefined ? [] : [payload.aud];
  if (!audiences.includes(check.audience)) {
    throw new Error(`invalid audience: expected ${check.audience}, got [${audiences.join(' ')}]`);
  }
  return payload;
}

function joseReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token has invalid claims: token is expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature is invalid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no key in the issuer key set matches the token (kid)';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token is unsigned or uses a signing algorithm that is not allowed';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return `token is malformed: ${(error as Error).message}`;
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
