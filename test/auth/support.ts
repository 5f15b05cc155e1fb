import { RegistryTokens } from '../../src/auth/tokens.js';
import { loadSigningKey } from '../../src/auth/signing-key.js';
import type { Permission } from '../../src/auth/permissions.js';
import { monotonicClock } from '../../src/platform/clock.js';
import { adminHeaders } from '../support/app.js';
import type { TestApp } from '../support/app.js';

/** A wall clock the test can move forward, so key expiry needs no sleeping. */
export function movableClock() {
  let offsetMs = 0;
  const clock = monotonicClock(() => Date.now() + offsetMs);
  return { clock, advance: (ms: number) => (offsetMs += ms) };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function issueToken(t: TestApp, permissions: Permission[], sub = 'tester') {
  const { registry_token } = await t.wharf.tokens.issue({ authMethod: 'github-at', authMethodSub: sub, permissions });
  return registry_token;
}

/** A token signed with the server's own key, which expired an hour ago. */
export async function expiredToken(t: TestApp, permissions: Permission[]) {
  const past = new RegistryTokens(
    loadSigningKey(t.wharf.config.dataDir, undefined),
    60,
    () => new Date(Date.now() - 3_600_000),
  );
  return (await past.issue({ authMethod: 'github-at', authMethodSub: 'old', permissions })).registry_token;
}

export async function createKey(
  t: TestApp,
  body: { name?: string; permissions: Permission[]; expires_at?: string; description?: string },
) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/keys',
    headers: adminHeaders,
    payload: { name: body.name ?? 'ci', ...body },
  });
  if (res.statusCode !== 201) throw new Error(`key creation answered ${res.statusCode}: ${res.body}`);
  return res.json() as { id: string; key: string; name: string };
}

export async function revokeKey(t: TestApp, id: string) {
  const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: adminHeaders });
  if (res.statusCode !== 200) throw new Error(`key revocation answered ${res.statusCode}: ${res.body}`);
}
