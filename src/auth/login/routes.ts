import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DomainProofInput } from './domain-proof.js';
import type { LoginService } from './service.js';

export interface LoginRoutesOptions {
  login: LoginService;
  /** `v0` or `v0.1`: suffixes operation ids, as the official OpenAPI does. */
  apiVersion: string;
}

const tokenResponse = Type.Object({
  registry_token: Type.String({ description: 'Registry JWT (Ed25519)' }),
  expires_at: Type.Integer({ description: 'Expiry, Unix seconds' }),
});
const githubBody = Type.Object(
  { github_token: Type.String({ description: 'GitHub OAuth or personal access token' }) },
  { additionalProperties: false },
);
const oidcBody = Type.Object(
  { oidc_token: Type.String({ description: 'OIDC ID token' }) },
  { additionalProperties: false },
);
const proofBody = Type.Object(
  {
    domain: Type.String({ description: 'Domain name', examples: ['example.com'] }),
    timestamp: Type.String({ description: 'RFC3339 timestamp', examples: ['2023-01-01T00:00:00Z'] }),
    signed_timestamp: Type.String({ description: 'Hex-encoded signature of timestamp' }),
  },
  { additionalProperties: false },
);

/** The official token-exchange endpoints beside `auth/none`; each answers `{registry_token, expires_at}`. */
export async function loginRoutes(app: FastifyInstance, options: LoginRoutesOptions): Promise<void> {
  const { login, apiVersion } = options;
  const schema = (operation: string, summary: string, body: unknown) => ({
    operationId: `${operation}-${apiVersion}`,
    summary,
    tags: ['auth'],
    body,
    response: { 200: tokenResponse },
  });

  app.post<{ Body: { github_token: string } }>(
    '/auth/github-at',
    { schema: schema('exchange-github-token', 'Exchange GitHub OAuth access token for Registry JWT', githubBody) },
    async (request) => login.githubAt(request.body, { sourceIp: request.ip }),
  );
  app.post<{ Body: { oidc_token: string } }>(
    '/auth/github-oidc',
    { schema: schema('exchange-github-oidc-token', 'Exchange GitHub OIDC token for Registry JWT', oidcBody) },
    async (request) => login.githubActions(request.body, { sourceIp: request.ip }),
  );
  app.post<{ Body: DomainProofInput }>(
    '/auth/dns',
    { schema: schema('exchange-dns-token', 'Exchange DNS signature for Registry JWT', proofBody) },
    async (request) => login.dns(request.body, { sourceIp: request.ip }),
  );
  app.post<{ Body: DomainProofInput }>(
    '/auth/http',
    { schema: schema('exchange-http-token', 'Exchange HTTP signature for Registry JWT', proofBody) },
    async (request) => login.http(request.body, { sourceIp: request.ip }),
  );
  // Not mounted without configuration, so an unconfigured registry answers 404 exactly as the official one.
  if (login.oidc) {
    app.post<{ Body: { oidc_token: string } }>(
      '/auth/oidc',
      { schema: schema('exchange-oidc-token', 'Exchange OIDC ID token for Registry JWT', oidcBody) },
      async (request) => login.genericOidc(request.body, { sourceIp: request.ip }),
    );
  }
}
