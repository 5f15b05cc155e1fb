import type { AuditTrail } from '../../audit/trail.js';
import type { LoginConfig } from '../../config/config.js';
import { unauthorized } from '../../platform/errors.js';
import { createOutboundClient } from '../../platform/net/index.js';
import type { OutboundClient, Resolver } from '../../platform/net/index.js';
import type { Logger } from '../../platform/observability/logger.js';
import type { IssuedToken, RegistryTokens } from '../tokens.js';
import { createLoginDns } from './dns.js';
import type { TxtLookup } from './dns.js';
import { DomainProofLogin } from './domain-proof.js';
import type { DomainProofInput } from './domain-proof.js';
import { GitHubAccessTokenLogin } from './github-at.js';
import { GitHubOidcLogin } from './github-oidc.js';
import { LoginDenied } from './login-error.js';
import type { LoginIdentity } from './login-error.js';
import { GenericOidcLogin } from './oidc.js';

export interface LoginServiceOptions {
  config: LoginConfig;
  allowPrivateNetworks: boolean;
  tokens: RegistryTokens;
  audit: AuditTrail;
  logger: Logger;
  now?: () => Date;
  /** Test seams; production resolves through `WHARF_DNS_RESOLVER` or the system resolver. */
  lookupTxt?: TxtLookup;
  resolveAddress?: Resolver;
}

/** Where a login request came from, for the audit trail. */
export interface LoginContext {
  sourceIp?: string | undefined;
}

/**
 * The token exchange: each method proves an identity, then one Ed25519 registry JWT is issued with the official
 * claims, and every attempt (granted or not) lands on the audit trail as `auth.login`.
 */
export class LoginService {
  readonly githubAccessToken: GitHubAccessTokenLogin;
  readonly githubOidc: GitHubOidcLogin;
  readonly domainProof: DomainProofLogin;
  /** Undefined when `WHARF_OIDC_ISSUER` is not set: the endpoint is then not mounted, as official. */
  readonly oidc: GenericOidcLogin | undefined;
  private readonly client: OutboundClient;

  constructor(private readonly options: LoginServiceOptions) {
    const now = options.now ?? (() => new Date());
    const dns = createLoginDns(options.config.dnsResolver);
    this.client = createOutboundClient({
      allowPrivateNetworks: options.allowPrivateNetworks,
      userAgent: 'mcp-registry/1.0 (Wharf)',
      timeoutMs: 10_000,
      resolve: options.resolveAddress ?? dns.resolveAddress,
    });
    const { config } = options;
    this.githubAccessToken = new GitHubAccessTokenLogin(this.client, config.githubApiUrl);
    this.githubOidc = new GitHubOidcLogin({
      client: this.client,
      issuer: config.githubOidcIssuer,
      audience: config.githubOidcAudience,
      now,
    });
    this.domainProof = new DomainProofLogin({
      lookupTxt: options.lookupTxt ?? dns.lookupTxt,
      client: this.client,
      httpUrlTemplate: config.httpAuthUrlTemplate,
      now,
    });
    this.oidc = config.oidc && new GenericOidcLogin({ client: this.client, ...config.oidc, now });
  }

  githubAt(body: { github_token: string }, context: LoginContext): Promise<IssuedToken> {
    return this.login('github-at', context, () => this.githubAccessToken.exchange(body.github_token));
  }

  githubActions(body: { oidc_token: string }, context: LoginContext): Promise<IssuedToken> {
    return this.login('github-oidc', context, () => this.githubOidc.exchange(body.oidc_token));
  }

  dns(body: DomainProofInput, context: LoginContext): Promise<IssuedToken> {
    return this.login('dns', context, () => this.domainProof.dns(body));
  }

  http(body: DomainProofInput, context: LoginContext): Promise<IssuedToken> {
    return this.login('http', context, () => this.domainProof.http(body));
  }

  genericOidc(body: { oidc_token: string }, context: LoginContext): Promise<IssuedToken> {
    const oidc = this.oidc;
    if (!oidc) throw new Error('generic OIDC login is not configured');
    return this.login('oidc', context, () => oidc.exchange(body.oidc_token));
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async login(method: string, context: LoginContext, prove: () => Promise<LoginIdentity>) {
    let identity: LoginIdentity;
    try {
      identity = await prove();
    } catch (error) {
      const denied = error instanceof LoginDenied;
      const reason = error instanceof Error ? error.message : String(error);
      await this.options.audit.record({
        action: 'auth.login',
        actor: { method, subject: denied ? (error.claimedSubject ?? '') : '' },
        outcome: denied ? 'denied' : 'failure',
        sourceIp: context.sourceIp,
        detail: { reason: denied ? error.reason : reason },
      });
      if (!denied) throw error;
      this.options.logger.info({ method, reason: error.reason }, 'login refused');
      throw unauthorized(error.detail, error.hideReason ? undefined : [{ message: error.reason }]);
    }
    const issued = await this.options.tokens.issue({
      authMethod: identity.method,
      authMethodSub: identity.subject,
      permissions: identity.permissions,
    });
    await this.options.audit.record({
      action: 'auth.login',
      actor: { method: identity.method, subject: identity.subject },
      outcome: 'success',
      sourceIp: context.sourceIp,
      detail: { permissions: identity.permissions },
    });
    return issued;
  }
}
