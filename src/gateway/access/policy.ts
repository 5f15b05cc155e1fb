import { randomUUID } from 'node:crypto';
import type { Principal } from '../../auth/authenticator.js';
import { hasPermission, matchesPattern } from '../../auth/permissions.js';
import { notFound } from '../../platform/errors.js';
import type { Database } from '../../platform/storage/database.js';

/**
 * Allow/deny rules per subject, virtual server and tool. Patterns use the registry's semantics (`*`, a trailing `*`
 * as prefix, else exact). The subject of a caller is `method:subject` (`oauth:alice`, `api-key:ci-bot`,
 * `admin-token:admin`) or `anonymous`; the virtual server of the main `/mcp` endpoint is `default`.
 */
export interface GatewayPolicy {
  id: string;
  effect: 'allow' | 'deny';
  subject: string;
  virtualServer: string;
  tool: string;
  description?: string | undefined;
  createdAt: string;
}

export type NewGatewayPolicy = Omit<GatewayPolicy, 'id' | 'createdAt'>;

/** The virtual-server name rules use for the main `/mcp` endpoint. */
export const MAIN_ENDPOINT = 'default';

export function subjectOf(principal: Principal | null): string {
  return principal ? `${principal.authMethod}:${principal.subject}` : 'anonymous';
}

/** The resource a `gateway_call` permission is matched against: `tool` on `/mcp`, `vs/tool` on a virtual server. */
export function callResource(virtualServer: string | undefined, tool: string): string {
  return virtualServer === undefined ? tool : `${virtualServer}/${tool}`;
}

/**
 * The decision, in order: a matching deny rule refuses (deny wins over everything, even admin); `admin` allows;
 * a matching allow rule or a `gateway_call` permission allows; otherwise the configured default.
 */
export function decide(
  policies: readonly GatewayPolicy[],
  principal: Principal | null,
  virtualServer: string | undefined,
  tool: string,
  fallback: 'allow' | 'deny',
): { allowed: boolean; reason: string } {
  const subject = subjectOf(principal);
  const server = virtualServer ?? MAIN_ENDPOINT;
  const applies = (p: GatewayPolicy) =>
    matchesPattern(p.subject, subject) && matchesPattern(p.virtualServer, server) && matchesPattern(p.tool, tool);
  const deny = policies.find((p) => p.effect === 'deny' && applies(p));
  if (deny) return { allowed: false, reason: `denied by gateway policy ${deny.id}` };
  if (principal && hasPermission(principal.permissions, 'admin', '*')) return { allowed: true, reason: 'admin' };
  const allow = policies.find((p) => p.effect === 'allow' && applies(p));
  if (allow) return { allowed: true, reason: `allowed by gateway policy ${allow.id}` };
  if (principal && hasPermission(principal.permissions, 'gateway_call', callResource(virtualServer, tool))) {
    return { allowed: true, reason: 'gateway_call permission' };
  }
  return fallback === 'allow'
    ? { allowed: true, reason: 'default decision' }
    : { allowed: false, reason: 'no gateway policy or gateway_call permission allows it' };
}

/** SQL for the rules; knows nothing of HTTP or decisions. */
export class GatewayPolicyStore {
  constructor(private readonly database: Database) {}

  async list(): Promise<GatewayPolicy[]> {
    const rows = await this.database.db
      .selectFrom('gateway_policies')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      effect: row.effect,
      subject: row.subject,
      virtualServer: row.virtual_server,
      tool: row.tool,
      description: row.description ?? undefined,
      createdAt: row.created_at,
    }));
  }

  async insert(policy: GatewayPolicy): Promise<void> {
    await this.database.db
      .insertInto('gateway_policies')
      .values({
        id: policy.id,
        effect: policy.effect,
        subject: policy.subject,
        virtual_server: policy.virtualServer,
        tool: policy.tool,
        description: policy.description ?? null,
        created_at: policy.createdAt,
      })
      .execute();
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.database.db.deleteFrom('gateway_policies').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

/**
 * The rules, held in memory so list filtering stays synchronous: reloaded after every write here and every
 * `refreshMs` (other replicas' writes).
 */
export class GatewayPolicyService {
  private policies: GatewayPolicy[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: GatewayPolicyStore,
    private readonly options: { defaultDecision: 'allow' | 'deny'; refreshMs?: number; now?: () => Date },
  ) {}

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch(() => {
        // Keep the last rules when the database blips; the next tick retries.
      });
    }, this.options.refreshMs ?? 15_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  current(): readonly GatewayPolicy[] {
    return this.policies;
  }

  decide(principal: Principal | null, virtualServer: string | undefined, tool: string) {
    return decide(this.policies, principal, virtualServer, tool, this.options.defaultDecision);
  }

  async create(input: NewGatewayPolicy): Promise<GatewayPolicy> {
    const policy: GatewayPolicy = {
      ...input,
      id: `gwp_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      createdAt: (this.options.now?.() ?? new Date()).toISOString(),
    };
    await this.store.insert(policy);
    await this.reload();
    return policy;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.store.delete(id))) throw notFound(`Gateway policy ${id} not found`);
    await this.reload();
  }

  private async reload(): Promise<void> {
    this.policies = await this.store.list();
  }
}
