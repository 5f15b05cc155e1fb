import { createHash, timingSafeEqual } from 'node:crypto';
import { causes, unauthorized } from '../platform/errors.js';
import type { Permission } from './permissions.js';
import type { RegistryTokens } from './tokens.js';

/** Who is calling, with what they may do. */
export interface Principal {
  authMethod: string;
  subject: string;
  permissions: Permission[];
  /** Set when the caller used an API key. */
  keyId?: string | undefined;
}

const ADMIN_PERMISSIONS: Permission[] = [
  { action: 'publish', resource: '*' },
  { action: 'edit', resource: '*' },
  { action: 'admin', resource: '*' },
];

const digest = (value: string) => createHash('sha256').update(value).digest();

/** API keys (`wharf_…`), implemented by the keys capability. */
export interface KeyAuthenticator {
  authenticate(bearer: string): Promise<Principal>;
  /** Throws the 401 when the key a registry JWT was exchanged for is revoked or expired. */
  assertActive(keyId: string): Promise<void>;
}

export interface AuthenticatorOptions {
  keys?: KeyAuthenticator | undefined;
  /** Milliseconds since the epoch; for the verified-token cache. */
  now?: () => number;
  /** Verified JWTs kept (by digest, until they expire) so signature checks do not dominate busy write paths. */
  cacheSize?: number;
}

const API_KEY_PREFIX = 'wharf_';

/** Turns an Authorization header into a Principal, or throws the official 401s. */
export class Authenticator {
  private readonly adminDigest: Buffer | undefined;
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();
  private readonly keys: KeyAuthenticator | undefined;
  private readonly now: () => number;
  private readonly cacheSize: number;

  constructor(
    private readonly tokens: RegistryTokens,
    adminToken: string | undefined,
    options: AuthenticatorOptions = {},
  ) {
    this.adminDigest = adminToken ? digest(adminToken) : undefined;
    this.keys = options.keys;
    this.now = options.now ?? Date.now;
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  async authenticate(authorization: string): Promise<Principal> {
    const match = /^bearer (.+)$/i.exec(authorization.trim());
    if (!match?.[1]) throw unauthorized("Invalid Authorization header format. Expected 'Bearer <token>'");
    const token = match[1].trim();
    // Compare digests so the comparison is constant-time whatever the token length.
    if (this.adminDigest && timingSafeEqual(digest(token), this.adminDigest)) {
      return { authMethod: 'admin-token', subject: 'admin', permissions: ADMIN_PERMISSIONS };
    }
    if (this.keys && token.startsWith(API_KEY_PREFIX)) return this.keys.authenticate(token);
    const principal = await this.verifyJwt(token);
    if (principal.keyId && this.keys) await this.keys.assertActive(principal.keyId);
    return principal;
  }

  private async verifyJwt(token: string): Promise<Principal> {
    const cacheKey = digest(token).toString('base64');
    const cached = this.verified.get(cacheKey);
    if (cached && this.now() < cached.expiresAtMs) return cached.principal;
    if (cached) this.verified.delete(cacheKey);
    let principal: Principal;
    let expiresAtMs: number;
    try {
      const claims = await this.tokens.verify(token);
      principal = { authMethod: claims.authMethod, subject: claims.authMethodSub, permissions: claims.permissions };
      if (claims.keyId) principal.keyId = claims.keyId;
      expiresAtMs = (claims.expiresAt ?? 0) * 1000;
    } catch (error) {
      throw unauthorized('Invalid or expired Registry JWT token', causes(jwtFailure(error)));
    }
    // Oldest first out: Map iteration follows insertion order.
    if (this.verified.size >= this.cacheSize) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(cacheKey, { principal, expiresAtMs });
    return principal;
  }
}

function jwtFailure(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ERR_JWT_EXPIRED') return 'token has expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'token signature is invalid';
  if (code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID') return 'token is malformed';
  return error instanceof Error ? error.message : 'token is invalid';
}
