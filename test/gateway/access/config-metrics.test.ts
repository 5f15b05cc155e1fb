import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { GatewayAccessMetrics } from '../../../src/gateway/access/metrics.js';

describe('gateway access settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ dataDir: '/tmp/wharf-gw-config' }, env);

  it('defaults to optional auth, allow, no limits and redacted arguments', () => {
    expect(load({}).gatewayAccess).toEqual({
      auth: 'optional',
      resourceUrl: undefined,
      oauth: undefined,
      allowedOrigins: [],
      defaultDecision: 'allow',
      rateLimits: { requestsPerKey: 0, callsPerKey: 0, callsPerTool: 0, windowSeconds: 60 },
      auditArguments: 'none',
    });
  });

  it('names the setting and what is wrong', () => {
    expect(() => load({ WHARF_GATEWAY_AUTH: 'sometimes' })).toThrow(
      /WHARF_GATEWAY_AUTH = "sometimes": must be one of optional, required/,
    );
    expect(() => load({ WHARF_GATEWAY_OAUTH_AUDIENCE: 'x' })).toThrow(/WHARF_GATEWAY_OAUTH_ISSUER: required/);
    expect(() => load({ WHARF_GATEWAY_RATE_LIMIT_CALLS: '-1' })).toThrow(/WHARF_GATEWAY_RATE_LIMIT_CALLS = "-1"/);
    expect(() => load({ WHARF_GATEWAY_ALLOWED_ORIGINS: 'evil.example' })).toThrow(/each entry must be an origin/);
    expect(() =>
      load({ WHARF_GATEWAY_OAUTH_ISSUER: 'https://id.example.com', WHARF_GATEWAY_OAUTH_RULES: '[{"claim":"x"}]' }),
    ).toThrow(/WHARF_GATEWAY_OAUTH_RULES: must be a JSON array of rules/);
  });

  it('reads an issuer with rules, audience and scopes', () => {
    const config = load({
      WHARF_GATEWAY_OAUTH_ISSUER: 'https://id.example.com/',
      WHARF_GATEWAY_OAUTH_AUDIENCE: 'https://gw.example.com/mcp',
      WHARF_GATEWAY_OAUTH_RULES:
        '[{"claim":"roles","contains":"mcp","grant":[{"action":"gateway_call","resource":"*"}]}]',
      WHARF_GATEWAY_OAUTH_SCOPES: 'mcp:tools mcp:read',
    }).gatewayAccess;
    expect(config.oauth).toMatchObject({
      issuer: 'https://id.example.com',
      audience: 'https://gw.example.com/mcp',
      scopes: ['mcp:tools', 'mcp:read'],
    });
  });
});

describe('gateway metrics', () => {
  it('caps the tool label so invented tool names cannot explode the series count', async () => {
    const registry = new Registry();
    const metrics = new GatewayAccessMetrics(registry);
    const call = { principal: null, virtualServer: undefined, upstream: 'u', argumentBytes: 0, latencyMs: 1 };
    for (let i = 0; i < 250; i += 1) metrics.observe({ ...call, tool: `tool_${i}`, outcome: 'success' });
    const series = (await registry.getSingleMetric('wharf_gateway_calls_total')?.get())?.values ?? [];
    expect(series).toHaveLength(201);
    expect(series.find((s) => s.labels.tool === 'other')?.value).toBe(50);
  });
});
