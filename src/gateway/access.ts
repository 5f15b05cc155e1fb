import type { Principal } from '../auth/authenticator.js';

/**
 * The seam between the gateway's federation (which routes calls to upstreams) and its access policy
 * (who may call what, how often, and the record of it). Federation calls these hooks on every
 * downstream request and tool call; the policy never sees upstream connections.
 */
export interface GatewayCall {
  principal: Principal | null;
  /** The virtual server the call came through; undefined for the main `/mcp` endpoint. */
  virtualServer: string | undefined;
  /** The upstream alias the tool belongs to (`registry` for the built-in one). */
  upstream: string;
  /** The downstream (namespaced) tool name. */
  tool: string;
  argumentBytes: number;
  /** Top-level argument names (never values); audited only when WHARF_GATEWAY_AUDIT_ARGUMENTS=keys. */
  argumentKeys?: string[] | undefined;
  /** The client's address, for per-address limits of anonymous callers and the audit record. */
  clientAddress?: string | undefined;
}

export type GatewayOutcome = 'success' | 'tool_error' | 'denied' | 'rate_limited' | 'timeout' | 'unavailable' | 'error';

export interface GatewayCallRecord extends GatewayCall {
  outcome: GatewayOutcome;
  latencyMs: number;
  /** An actionable message for failures; never the arguments. */
  error?: string | undefined;
}

export interface GatewayAccess {
  /** Whether the caller may see (list) a tool; lists are filtered with it. */
  canSee(principal: Principal | null, virtualServer: string | undefined, tool: string): boolean;
  /** Before a call: throws a WharfError (forbidden, too_many_requests) to refuse it. */
  admit(call: GatewayCall): Promise<void>;
  /** After every call, admitted or not: audit and metrics. Never throws. */
  record(call: GatewayCallRecord): void;
}

/** Everything allowed, nothing recorded: for tests of federation alone. */
export const openGatewayAccess: GatewayAccess = {
  canSee: () => true,
  admit: async () => {},
  record: () => {},
};
