import type { OutboundClient } from '../../platform/net/index.js';
import { verifyIdToken } from './id-token.js';
import { RemoteKeySet, discoveredJwksUrl } from './jwks.js';
import { LoginDenied } from './login-error.js';
import type { LoginIdentity } from './login-error.js';
import { permissionsFromRules } from './oidc-rules.js';
import type { OidcRule } from './oidc-rules.js';

export interface GenericOidcOptions {
  client: OutboundClient;
  issuer: string;
  audience: string;
  rules: readonly OidcRule[];
  now: () => Date;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * `auth/oidc`: an ID token from the configured enterprise issuer (discovery + cached JWKS with rotation) → the
 * permissions its claim rules grant. For publishers as well as admins, unlike the official admin-only method.
 */
export class GenericOidcLogin {
  private readonly keys: RemoteKeySet;

  constructor(private readonly options: GenericOidcOptions) {
    this.keys = new RemoteKeySet({
      client: options.client,
      jwksUrl: discoveredJwksUrl(options.client, options.issuer),
      now: () => options.now().getTime(),
    });
  }

  async exchange(oidcToken: string): Promise<LoginIdentity> {
    let claims;
    try {
      claims = await verifyIdToken(oidcToken, {
        keys: this.keys,
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ASYMMETRIC,
        now: this.options.now,
      });
    } catch (error) {
      throw new LoginDenied('Token exchange failed', `failed to validate OIDC token: ${(error as Error).message}`);
    }
    const subject = typeof claims.sub === 'string' ? claims.sub : '';
    const permissions = permissionsFromRules(this.options.rules, claims);
    if (permissions.length === 0) {
      throw new LoginDenied(
        'Token exchange failed',
        'no permission rule (WHARF_OIDC_RULES) matches this identity; ask your registry administrator for access',
        subject,
      );
    }
    return { method: 'oidc', subject, permissions };
  }
}
