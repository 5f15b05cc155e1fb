import type { AuditOutcome, AuditTrail } from '../../audit/trail.js';
import type { Principal } from '../../auth/authenticator.js';
import type { Logger } from '../../platform/observability/logger.js';
import { forbidden } from '../../platform/errors.js';
import type { GatewayAccess, GatewayCall, GatewayCallRecord } from '../access.js';
import type { GatewayAccessMetrics } from './metrics.js';
import { MAIN_ENDPOINT, subjectOf } from './policy.js';
import type { GatewayPolicyService } from './policy.js';
import { RateLimited } from './rate-limits.js';
import type { GatewayRateLimits } from './rate-limits.js';

export interface GatewayAccessServiceOptions {
  policies: GatewayPolicyService;
  limits: GatewayRateLimits;
  audit: AuditTrail;
  metrics: GatewayAccessMetrics;
  logger: Logger;
  auditArguments: 'none' | 'keys';
}

/**
 * The caller's rate-limit key: the API key when there is one, else who they are; anonymous callers by address
 * when it is known (HTTP requests), else as one shared `anonymous` budget (tool calls inside the host).
 */
export function limitKey(principal: Principal | null, address: string | undefined): string {
  if (!principal) return address === undefined ? 'anonymous' : `anon:${address}`;
  return principal.keyId !== undefined ? `key:${principal.keyId}` : subjectOf(principal);
}

/** The gateway's access policy behind the federation seam: rules, limits, audit and metrics. */
export class GatewayAccessService implements GatewayAccess {
  constructor(private readonly options: GatewayAccessServiceOptions) {}

  canSee(principal: Principal | null, virtualServer: string | undefined, tool: string): boolean {
    return this.options.policies.decide(principal, virtualServer, tool).allowed;
  }

  async admit(call: GatewayCall): Promise<void> {
    const decision = this.options.policies.decide(call.principal, call.virtualServer, call.tool);
    if (!decision.allowed) {
      throw forbidden(
        `${subjectOf(call.principal)} may not call ${call.tool} on ${call.virtualServer ?? MAIN_ENDPOINT}: ${decision.reason}`,
      );
    }
    try {
      await this.options.limits.call(limitKey(call.principal, call.clientAddress), call.tool);
    } catch (error) {
      if (error instanceof RateLimited) this.options.metrics.rateLimited.inc({ scope: error.scope });
      throw error;
    }
  }

  record(call: GatewayCallRecord): void {
    try {
      this.options.metrics.observe(call);
      const detail: Record<string, unknown> = {
        virtualServer: call.virtualServer ?? MAIN_ENDPOINT,
        upstream: call.upstream,
        tool: call.tool,
        outcome: call.outcome,
        latencyMs: Math.round(call.latencyMs * 1000) / 1000,
        argumentBytes: call.argumentBytes,
        arguments: 'redacted',
      };
      if (this.options.auditArguments === 'keys' && call.argumentKeys) detail.argumentKeys = call.argumentKeys;
      if (call.error !== undefined) detail.error = call.error;
      const principal = call.principal;
      this.options.audit
        .record({
          action: 'gateway.call',
          actor: principal
            ? { method: principal.authMethod, subject: principal.subject, keyId: principal.keyId }
            : { method: 'none', subject: 'anonymous' },
          target: `${call.upstream}/${call.tool}`,
          outcome: auditOutcome(call.outcome),
          sourceIp: call.clientAddress,
          detail,
        })
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'gateway audit record failed'));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'gateway call record failed');
    }
  }
}

function auditOutcome(outcome: GatewayCallRecord['outcome']): AuditOutcome {
  if (outcome === 'success') return 'success';
  if (outcome === 'denied' || outcome === 'rate_limited') return 'denied';
  return 'failure';
}
