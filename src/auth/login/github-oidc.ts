import type { OutboundClient } from '../../platform/net/index.js';
import { verifyIdToken } from './id-token.js';
import { RemoteKeySet } from './jwks.js';
import { GITHUB_NAME } from './github-at.js';
import { LoginDenied } from './login-error.js';
import type { LoginIdentity } from './login-error.js';

export interface GitHubOidcOptions {
  client: OutboundClient;
  /** `WHARF_GITHUB_OIDC_ISSUER`; its JWKS is `<issuer>/.well-known/jwks`. */
  issuer: string;
  /** `WHARF_GITHUB_OIDC_AUDIENCE`; undefined disables the method with the official message. */
  audience: string | undefined;
  now: () => Date;
}

/**
 * `auth/github-oidc`: a GitHub Actions ID token → `publish io.github.<repository_owner>/*` (owner-wide, so monorepos
 * work), `auth_method_sub` = the token's `sub`. Unlike the official registry, the JWKS is cached (refetched on an
 * unknown `kid`) instead of downloaded on every login.
 */
export class GitHubOidcLogin {
  private readonly keys: RemoteKeySet;

  constructor(private readonly options: GitHubOidcOptions) {
    this.keys = new RemoteKeySet({
      client: options.client,
      jwksUrl: async () => `${options.issuer}/.well-known/jwks`,
      now: () => options.now().getTime(),
    });
  }

  async exchange(oidcToken: string): Promise<LoginIdentity> {
    const { audience } = this.options;
    if (audience === undefined) {
      throw new LoginDenied(
        'Token exchange failed',
        'GitHub OIDC exchange disabled: this deployment has no audience configured',
      );
    }
    let claims;
    try {
      claims = await verifyIdToken(oidcToken, {
        keys: this.keys,
        issuer: this.options.issuer,
        audience,
        algorithms: ['RS256'],
        now: this.options.now,
      });
      if (typeof claims.repository_owner !== 'string' || claims.repository_owner === '') {
        throw new Error('repository owner claim is required');
      }
    } catch (error) {
      throw new LoginDenied('Token exchange failed', `failed to validate OIDC token: ${(error as Error).message}`);
    }
    const owner = claims.repository_owner as string;
    return {
      method: 'github-oidc',
      subject: claims.sub ?? '',
      permissions: GITHUB_NAME.test(owner) ? [{ action: 'publish', resource: `io.github.${owner}/*` }] : [],
    };
  }
}
