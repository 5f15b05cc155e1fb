import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminHeaders, createTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';

type AuditJson = {
  action: string;
  outcome: string;
  target?: string;
  actor?: { method: string; subject: string } | null;
  source_ip?: string;
  detail: Record<string, unknown>;
};

describeEachDatabase('context writes in the audit log over REST', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database });
  });
  afterAll(async () => t?.close());

  const audit = async (query: string): Promise<AuditJson[]> => {
    const response = await t.app.inject({ url: `/api/v1/audit?${query}`, headers: adminHeaders });
    expect(response.statusCode).toBe(200);
    return (response.json() as { events: AuditJson[] }).events.reverse();
  };

  it('records create, replace, patch and delete with who, what and the version, never the document', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contexts?ttl_seconds=60',
      headers: adminHeaders,
      payload: { namespace: 'team-a', data: { secret: 'do-not-log' } },
    });
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { context_id: string }).context_id;
    const url = `/api/v1/contexts/${id}`;
    const put = await t.app.inject({ method: 'PUT', url, headers: adminHeaders, payload: { data: { a: 1 } } });
    expect(put.statusCode).toBe(200);
    const patch = await t.app.inject({
      method: 'PATCH',
      url,
      headers: { ...adminHeaders, 'content-type': 'application/merge-patch+json', 'if-match': '"2"' },
      payload: { data: { b: 2 } },
    });
    expect(patch.statusCode).toBe(200);
    const stale = await t.app.inject({ method: 'DELETE', url, headers: { ...adminHeaders, 'if-match': '"1"' } });
    expect(stale.statusCode).toBe(412);
    expect((await t.app.inject({ method: 'DELETE', url, headers: adminHeaders })).statusCode).toBe(204);
    // Reads are not audited.
    expect((await t.app.inject({ url, headers: adminHeaders })).statusCode).toBe(404);

    const events = await audit(`target=${encodeURIComponent(`context:${id}`)}`);
    expect(JSON.stringify(events)).not.toContain('do-not-log');
    expect(events.map((e) => [e.action, e.outcome, e.detail.status])).toEqual([
      ['context.create', 'success', 201],
      ['context.replace', 'success', 200],
      ['context.patch', 'success', 200],
      ['context.delete', 'failure', 412],
      ['context.delete', 'success', 204],
    ]);
    const actor = { method: 'admin-token', subject: 'admin' };
    expect(events[0]).toMatchObject({
      actor,
      target: `context:${id}`,
      source_ip: '127.0.0.1',
      detail: { namespace: 'team-a', version: 1, expires_at: expect.any(String) },
    });
    expect(events[2]).toMatchObject({ detail: { namespace: 'team-a', version: 3 } });
    expect(events[3]?.detail.reason).toContain('is at version 3');
    expect(events[4]).toMatchObject({ actor, detail: { namespace: 'team-a', version: 3 } });
    expect(events.every((e) => e.detail.via === undefined)).toBe(true);
  });

  it('records refused writes: unauthenticated, forbidden and invalid', async () => {
    const { registry_token } = await t.wharf.tokens.issue({
      authMethod: 'test',
      authMethodSub: 'reader',
      permissions: [{ action: 'context_reader', resource: '*' }],
    });
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contexts',
      payload: { context_id: 'refused-1', data: {} },
    });
    expect(anonymous.statusCode).toBe(401);
    const forbidden = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contexts',
      headers: { authorization: `Bearer ${registry_token}` },
      payload: { context_id: 'refused-1', data: {} },
    });
    expect(forbidden.statusCode).toBe(403);
    const invalid = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contexts',
      headers: adminHeaders,
      payload: { context_id: 'refused-1', data: [1] },
    });
    expect(invalid.statusCode).toBe(400);

    const events = await audit('target=context%3Arefused-1');
    expect(events.map((e) => [e.action, e.outcome, e.detail.status])).toEqual([
      ['context.create', 'denied', 401],
      ['context.create', 'denied', 403],
      ['context.create', 'failure', 400],
    ]);
    expect(events[1]).toMatchObject({
      actor: { subject: 'reader' },
      detail: { reason: expect.stringContaining('context_writer permission on namespace "default" is required') },
    });
    expect(events[2]?.detail.reason).toContain('data must be a JSON object');
    expect(await audit('action=context.create&outcome=success')).toHaveLength(1);
  });
});
