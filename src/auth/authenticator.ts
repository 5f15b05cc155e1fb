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

/** Turns an Authorization header into a Principal, or throws the official 401s. */
export class Authenticator {
  private readonly adminDigest: Buffer | undefined;

  constructor(
    private readonly tokens: RegistryTokens,
    adminToken: string | undefined,
  ) {
    this.adminDigest = adminToken ? digest(adminToken) : undefined;
  }

  async authenticate(authorization: string): Promise<Principal> {
    const match = /^bearer (.+)$/i.exec(authorization.trim());
    if (!match?.[1]) throw unauthorized("Invalid Authorization header format. Expected 'Bearer <token>'");
    const token = match[1].trim();
    // Compare digests so the comparison is constant-time whatever the token length.
    if (this.adminDigest && timingSafeEqual(digest(token), this.adminDigest)) {
      return { authMethod: 'admin-token', subject: 'admin', permissions: ADMIN_PERMISSIONS };
    }
    try {
      const claims = await this.tokens.verify(token);
      return { authMethod: claims.authMethod, subject: claims.authMethodSub, permissions: claims.permissions };
    } catch (error) {
      throw unauthorized('Invalid or expired Registry JWT token', causes(jwtFailure(error)));
    }
  }
}

function jwtFailure(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ERR_JWT_EXPIRED') return 'token has expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'token signature is invalid';
  if (code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID') return 'token is malformed';
  return error instanceof Error ? error.message : 'token is invalid';
}
