import { SignJWT, jwtVerify } from 'jose';
import type { Permission } from './permissions.js';
import type { SigningKey } from './signing-key.js';

export const REGISTRY_ISSUER = 'mcp-registry';

export interface RegistryClaims {
  authMethod: string;
  authMethodSub: string;
  permissions: Permission[];
  /** Set on tokens exchanged for an API key, so revoking the key also refuses them. */
  keyId?: string | undefined;
  /** Seconds since the epoch; filled in by `verify`. */
  expiresAt?: number | undefined;
}

export interface IssuedToken {
  registry_token: string;
  expires_at: number;
}

/** Registry JWTs: Ed25519, issuer `mcp-registry`, with the official claim names. */
export class RegistryTokens {
  constructor(
    private readonly key: SigningKey,
    private readonly ttlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async issue(claims: RegistryClaims): Promise<IssuedToken> {
    const iat = Math.floor(this.now().getTime() / 1000);
    const exp = iat + this.ttlSeconds;
    const token = await new SignJWT({
      auth_method: claims.authMethod,
      auth_method_sub: claims.authMethodSub,
      permissions: claims.permissions,
      ...(claims.keyId ? { wharf_key_id: claims.keyId } : {}),
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(REGISTRY_ISSUER)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .sign(this.key.privateKey);
    return { registry_token: token, expires_at: exp };
  }

  /** Throws with the verifier's own reason when the token is invalid or expired. */
  async verify(token: string): Promise<RegistryClaims> {
    const { payload } = await jwtVerify(token, this.key.publicKey, {
      algorithms: ['EdDSA'],
      issuer: REGISTRY_ISSUER,
      requiredClaims: ['exp'],
      currentDate: this.now(),
    });
    const permissions = Array.isArray(payload.permissions) ? (payload.permissions as Permission[]) : [];
    return {
      ...(typeof payload.wharf_key_id === 'string' ? { keyId: payload.wharf_key_id } : {}),
      ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp } : {}),
      authMethod: String(payload.auth_method ?? ''),
      authMethodSub: String(payload.auth_method_sub ?? ''),
      permissions: permissions.filter(
        (p) =>
          p &&
          typeof p.resource === 'string' &&
          ['publish', 'edit', 'admin', 'context_reader', 'context_writer', 'gateway_call'].includes(p.action),
      ),
    };
  }
}
