/**
 * What the audit trail says about context writes, shared by the REST routes (through the HTTP audit hook) and the
 * MCP tools (which record directly): the same actions, targets and details whichever way a write arrived. The
 * document itself is never recorded, only which context changed and how.
 */
import type { Principal } from '../auth/authenticator.js';
import type { AuditOutcome, AuditTrail } from '../audit/trail.js';
import { WharfError } from '../platform/errors.js';
import type { ContextRecord } from './model.js';

export type ContextWriteAction = 'context.create' | 'context.replace' | 'context.patch' | 'context.delete';

export function contextTarget(id: string): string {
  return `context:${id}`;
}

/** Where the context now stands (or, deleted, where it stood), for a successful write's record. */
export function writtenDetail(context: ContextRecord, deleted = false): Record<string, unknown> {
  if (deleted) return { namespace: context.namespace, version: context.version };
  return {
    namespace: context.namespace,
    version: context.version,
    expires_at: context.expiresAt === null ? null : new Date(context.expiresAt).toISOString(),
  };
}

/** The outcome the HTTP audit hook would give the same status. */
export function outcomeOf(status: number): AuditOutcome {
  return status < 400 ? 'success' : status === 401 || status === 403 || status === 429 ? 'denied' : 'failure';
}

export interface ToolWrite {
  action: ContextWriteAction;
  tool: string;
  principal: Principal | null;
  clientAddress: string | undefined;
  /** The context id when the caller named one (a create may leave it to the store). */
  contextId: string | undefined;
}

/**
 * Runs one MCP write and records it like its REST twin: success with the context's namespace and version, or the
 * refusal with the status and reason the REST API would have answered. Recording never fails the write.
 */
export async function auditedToolWrite(
  trail: AuditTrail,
  write: ToolWrite,
  run: () => Promise<ContextRecord>,
): Promise<ContextRecord> {
  const record = (outcome: AuditOutcome, target: string | undefined, detail: Record<string, unknown>) =>
    trail.record({
      action: write.action,
      actor: write.principal
        ? { method: write.principal.authMethod, subject: write.principal.subject, keyId: write.principal.keyId }
        : undefined,
      target,
      outcome,
      sourceIp: write.clientAddress,
      detail: { via: 'mcp', tool: write.tool, ...detail },
    });
  const named = write.contextId === undefined ? undefined : contextTarget(write.contextId);
  let context: ContextRecord;
  try {
    context = await run();
  } catch (error) {
    const status = error instanceof WharfError ? error.status : 500;
    const reason = error instanceof WharfError ? error.detail : 'internal error';
    await record(outcomeOf(status), named, { status, reason });
    throw error;
  }
  const deleted = write.action === 'context.delete';
  await record('success', contextTarget(context.id), {
    status: write.action === 'context.create' ? 201 : deleted ? 204 : 200,
    ...writtenDetail(context, deleted),
  });
  return context;
}
