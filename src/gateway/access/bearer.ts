import { decodeJwt } from 'jose';
import type { Principal } from '../../auth/authenticator.js';
import { RemoteKeySet, discoveredJwksUrl } from '../../auth/login/jwks.js';
import { verifyIdToken } from '../../auth/login/id-token.js';
import { permissionsFromRules } from '../../auth/login/oidc-rules.js';
import type { OidcRule } from '../../auth/login/oidc-rules.js';
import type { OutboundClient } from '../../platform/net/index.js';

export interface OAuthBearerOptions {
  issuer: string;
  rules: readonly OidcRule[];
  client: OutboundClient;
  now?: () => Date;
}

/**
 * The JWKS URL from the issuer's OAuth metadata (RFC 8414, path-inserted for issuers with a path), falling back to
 * OpenID Connect discovery; either document must name the same issuer. Cached after the first success.
 */
function authorizationServerJwksUrl(options: OAuthBearerOptions): () => Promise<string> {
  const oidc = discoveredJwksUrl(options.client, options.issuer);
  let cached: string | undefined;
  return async () => {
    if (cached) return cached;
    const issuer = new URL(options.issuer);
    const path = issuer.pathname === '/' ? '' : issuer.pathname;
    const url = `${issuer.origin}/.well-known/oauth-authorization-server${path}`;
    try {
      const response = await options.client.fetch(url, {
        headers: { accept: 'application/json' },
        maxBytes: 512 * 1024,
      });
      if (response.status === 200) {
        const doc = response.json() as { issuer?: unknown; jwks_uri?: unknown };
        if (doc.issuer !== options.issuer) {
          throw new Error(
            `OAuth metadata at ${url} names issuer ${JSON.stringify(doc.issuer)}, expected ${options.issuer}`,
          );
        }
        if (typeof doc.jwks_uri === 'string') {
          cached = doc.jwks_uri;
          return cached;
        }
      }
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('OAuth metadata')) throw error;
      // Unreachable or not JSON: OIDC discovery below may still work.
    }
    cached = await oidc();
    return cached;
  };
}

/** Asymmetric only: the issuer's public keys must not double as HMAC secrets. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Access tokens from an external OAuth 2.1 authorization server (the gateway is a resource server): signature
 * against the issuer's JWKS (cached, refetched on an unknown kid), expiry, issuer, and the audience — which must
 * name this gateway, so a token minted for another service is refused (no token passthrough, no confused deputy).
 * The token itself is never stored or forwarded; only the Principal built from its claims travels on.
 */
export class OAuthBearer {
  private readonly keys: RemoteKeySet;

  constructor(private readonly options: OAuthBearerOptions) {
    this.keys = new RemoteKeySet({
      client: options.client,
      jwksUrl: authorizationServerJwksUrl(options),
    });
  }

  /** Whether a token claims to come from this issuer (unverified; only to pick the verifier). */
  claims(token: string): boolean {
    try {
      return decodeJwt(token).iss === this.options.issuer;
    } catch {
      return false;
    }
  }

  /** The Principal for a valid token; throws an Error whose message says what is wrong. */
  async verify(token: string, audience: string): Promise<Principal> {
    const payload = await verifyIdToken(token, {
      keys: this.keys,
      issuer: this.options.issuer,
      audience,
      algorithms: ALGORITHMS,
      now: this.options.now ?? (() => new Date()),
    });
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('token has no sub claim');
    const permissions = permissionsFromRules(this.options.rules, payload as Record<string, unknown>).filter(
      (p) => p.action === 'gateway_call',
    );
    return { authMethod: 'oauth', subject: payload.sub, permissions };
  }
}
