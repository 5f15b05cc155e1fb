import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../auth/authenticator.js';
import { loadSigningKey } from '../auth/signing-key.js';
import type { ClientCapabilities } from '@modelcontextprotocol/server';
import { inputCapabilities } from './input-required.js';

/** What a 2025-era session id carries; nothing else about a session is kept anywhere. */
export interface LegacySession {
  id: string;
  /** The version `initialize` negotiated; later requests' MCP-Protocol-Version must equal it. */
  protocolVersion: string;
  /** The Principal subject that initialized the session (null: anonymous); other callers cannot use it. */
  subject: string | null;
  expiresAt: number;
  /** The elicitation, sampling and roots capabilities the client declared at initialize (input-required.ts). */
  capabilities?: ClientCapabilities | undefined;
}

export interface LegacySessionsOptions {
  /** 32 bytes; the same on every replica so that any of them can serve any session. */
  key: Buffer;
  ttlMs?: number;
  now?: () => number;
}

const PREFIX = 'w1';
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_REVOKED = 100_000;

/**
 * Self-contained, HMAC-signed `Mcp-Session-Id`s: a session is its id, so any process holding the key serves it and
 * a restart loses nothing (no sticky routing, no session table). The one piece of state is the list of ids ended
 * with DELETE, kept in this process until they expire; another replica still accepts such an id until its expiry.
 */
export class LegacySessions {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly revoked = new Map<string, number>();

  constructor(private readonly options: LegacySessionsOptions) {
    if (options.key.length < 32) throw new Error('the MCP session key must be at least 32 bytes');
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  issue(protocolVersion: string, principal: Principal | null, capabilities?: unknown): string {
    const declared = inputCapabilities(capabilities);
    const payload = Buffer.from(
      JSON.stringify({
        v: protocolVersion,
        s: principal?.subject ?? null,
        e: this.now() + this.ttlMs,
        n: randomBytes(12).toString('base64url'),
        ...(declared && { c: declared }),
      }),
    ).toString('base64url');
    return `${PREFIX}.${payload}.${this.mac(payload)}`;
  }

  /** The session an id names, or undefined when it is forged, malformed, expired or ended. */
  verify(id: string): LegacySession | undefined {
    const [prefix, payload, mac, extra] = id.split('.');
    if (prefix !== PREFIX || !payload || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let claims: { v?: unknown; s?: unknown; e?: unknown; c?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return undefined;
    }
    const { v, s, e, c } = claims;
    if (typeof v !== 'string' || (typeof s !== 'string' && s !== null) || typeof e !== 'number') return undefined;
    if (e <= this.now() || this.revoked.has(id)) return undefined;
    return { id, protocolVersion: v, subject: s, expiresAt: e, capabilities: inputCapabilities(c) };
  }

  /** Ends a session (DELETE) in this process. */
  revoke(session: LegacySession): void {
    const now = this.now();
    if (this.revoked.size >= MAX_REVOKED) {
      for (const [id, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(id);
      // Still full of live entries: forget the oldest, which expire first.
      for (const id of this.revoked.keys()) {
        if (this.revoked.size < MAX_REVOKED) break;
        this.revoked.delete(id);
      }
    }
    this.revoked.set(session.id, session.expiresAt);
  }

  /** A key for another purpose, derived from the session key (so it is the same on every replica). */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.options.key, 'wharf', purpose, 32));
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.options.key).update(payload).digest('base64url');
  }
}

/**
 * The session key, derived once from the registry signing key (configured or kept in the data dir) so that every
 * replica sharing that key agrees on it without another setting.
 */
export function deriveSessionKey(config: { dataDir: string; jwtPrivateKey: string | undefined }): Buffer {
  const { privateKey } = loadSigningKey(config.dataDir, config.jwtPrivateKey);
  const material = privateKey.export({ format: 'der', type: 'pkcs8' });
  return Buffer.from(hkdfSync('sha256', material, 'wharf', 'mcp legacy session id v1', 32));
}
