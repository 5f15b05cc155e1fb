import type { FastifyInstance } from 'fastify';
import type { Permission } from './permissions.js';
import type { RegistryTokens } from './tokens.js';

export interface AuthRoutesOptions {
  tokens: RegistryTokens;
  anonymousAuth: boolean;
  apiVersion: string;
}

export const ANONYMOUS_NAMESPACE = 'io.modelcontextprotocol.anonymous/*';

const tokenResponse = {
  type: 'object',
  properties: { registry_token: { type: 'string' }, expires_at: { type: 'integer' } },
} as const;

/** Token exchange endpoints (`/v0(.1)/auth/*`), each returning `{registry_token, expires_at}`. */
export async function authRoutes(app: FastifyInstance, options: AuthRoutesOptions): Promise<void> {
  if (options.anonymousAuth) {
    const permissions: Permission[] = [
      { action: 'publish', resource: ANONYMOUS_NAMESPACE },
      { action: 'edit', resource: ANONYMOUS_NAMESPACE },
    ];
    app.post(
      '/auth/none',
      {
        schema: {
          operationId: `exchange-anonymous-token-${options.apiVersion}`,
          tags: ['auth'],
          response: { 200: tokenResponse },
        },
      },
      async () => options.tokens.issue({ authMethod: 'none', authMethodSub: 'anonymous', permissions }),
    );
  }
}
