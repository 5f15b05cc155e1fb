import { parseOidcRules } from '../../auth/login/oidc-rules.js';
import type { OidcRule } from '../../auth/login/oidc-rules.js';

/** Settings of the gateway's access layer (`WHARF_GATEWAY_*`), validated here so config.ts stays a thin list. */
export interface GatewayAccessConfig {
  /** `required`: anonymous requests to the MCP endpoints get 401. `optional`: they are served as anonymous. */
  auth: 'optional' | 'required';
  /** The canonical URL of `/mcp` (RFC 8707 resource); undefined derives it from each request's Host. */
  resourceUrl: string | undefined;
  /** External OAuth 2.1 authorization server whose access tokens the gateway accepts; undefined: none. */
  oauth: { issuer: string; audience: string | undefined; rules: OidcRule[]; scopes: string[] } | undefined;
  /** Browser origins allowed to call the MCP endpoints, besides the endpoint's own origin. `*` allows any. */
  allowedOrigins: string[];
  /** Tool decision when no policy rule and no `gateway_call` permission decides. */
  defaultDecision: 'allow' | 'deny';
  /** Limits per minute; 0 disables. */
  rateLimits: { requestsPerKey: number; callsPerKey: number; callsPerTool: number; windowSeconds: number };
  /** What the audit record keeps of the arguments: their size only, or also their top-level keys. */
  auditArguments: 'none' | 'keys';
}

const CHOICES = {
  WHARF_GATEWAY_AUTH: ['optional', 'required'],
  WHARF_GATEWAY_DEFAULT_DECISION: ['allow', 'deny'],
  WHARF_GATEWAY_AUDIT_ARGUMENTS: ['none', 'keys'],
} as const;

/** Reads the settings; returns the problems as `  SETTING = value: message` lines instead of throwing. */
export function gatewayAccessConfig(env: NodeJS.ProcessEnv): { config: GatewayAccessConfig; problems: string[] } {
  const problems: string[] = [];
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const choice = <K extends keyof typeof CHOICES>(name: K, fallback: (typeof CHOICES)[K][number]) => {
    const value = text(name) ?? fallback;
    if (!(CHOICES[name] as readonly string[]).includes(value)) {
      problems.push(`  ${name} = ${JSON.stringify(value)}: must be one of ${CHOICES[name].join(', ')}`);
      return fallback;
    }
    return value as (typeof CHOICES)[K][number];
  };
  const url = (name: string) => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^https?:\/\/[^\s]+$/.test(value)) {
      problems.push(`  ${name} = ${JSON.stringify(value)}: must be an http(s) URL`);
      return undefined;
    }
    return value.replace(/\/+$/, '');
  };
  const count = (name: string, fallback: number, min = 0) => {
    const value = text(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      problems.push(`  ${name} = ${JSON.stringify(value)}: must be a whole number ≥ ${min}`);
      return fallback;
    }
    return n;
  };

  const issuer = url('WHARF_GATEWAY_OAUTH_ISSUER');
  const audience = text('WHARF_GATEWAY_OAUTH_AUDIENCE');
  const rulesText = text('WHARF_GATEWAY_OAUTH_RULES');
  let rules: OidcRule[] = [];
  if (rulesText !== undefined) {
    try {
      rules = parseOidcRules(rulesText);
    } catch (error) {
      problems.push(`  WHARF_GATEWAY_OAUTH_RULES: ${(error as Error).message}`);
    }
  }
  if (issuer === undefined && (audience !== undefined || rulesText !== undefined)) {
    problems.push('  WHARF_GATEWAY_OAUTH_ISSUER: required when WHARF_GATEWAY_OAUTH_AUDIENCE or _RULES is set');
  }
  const scopes = (text('WHARF_GATEWAY_OAUTH_SCOPES') ?? '').split(/[\s,]+/).filter((s) => s !== '');
  const origins = (text('WHARF_GATEWAY_ALLOWED_ORIGINS') ?? '').split(',').map((o) => o.trim().replace(/\/+$/, ''));
  for (const origin of origins) {
    if (origin !== '' && origin !== '*' && !/^https?:\/\/[^\s/]+$/.test(origin)) {
      problems.push(
        `  WHARF_GATEWAY_ALLOWED_ORIGINS = ${JSON.stringify(origin)}: each entry must be an origin (https://app.example.com) or *`,
      );
    }
  }
  const config: GatewayAccessConfig = {
    auth: choice('WHARF_GATEWAY_AUTH', 'optional'),
    resourceUrl: url('WHARF_GATEWAY_RESOURCE_URL'),
    oauth: issuer === undefined ? undefined : { issuer, audience, rules, scopes },
    allowedOrigins: origins.filter((o) => o !== ''),
    defaultDecision: choice('WHARF_GATEWAY_DEFAULT_DECISION', 'allow'),
    rateLimits: {
      requestsPerKey: count('WHARF_GATEWAY_RATE_LIMIT_REQUESTS', 0),
      callsPerKey: count('WHARF_GATEWAY_RATE_LIMIT_CALLS', 0),
      callsPerTool: count('WHARF_GATEWAY_RATE_LIMIT_TOOL_CALLS', 0),
      windowSeconds: count('WHARF_GATEWAY_RATE_LIMIT_WINDOW_SECONDS', 60, 1),
    },
    auditArguments: choice('WHARF_GATEWAY_AUDIT_ARGUMENTS', 'none'),
  };
  return { config, problems };
}
