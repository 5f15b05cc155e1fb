import { createLocalJWKSet, errors as joseErrors } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { OutboundClient } from '../../platform/net/index.js';

export interface RemoteKeySetOptions {
  client: OutboundClient;
  /** Resolves the JWKS URL (directly, or through OIDC discovery); called again after a failure. */
  jwksUrl: () => Promise<string>;
  /** Keys are refetched after this long even when every `kid` is known (default 10 minutes). */
  maxAgeMs?: number;
  /** At most one refetch per this interval for unknown `kid`s, so forged tokens cannot make us hammer the issuer. */
  cooldownMs?: number;
  now?: () => number;
}

const MAX_JWKS_BYTES = 512 * 1024;

/**
 * An issuer's signing keys, fetched through the SSRF-guarded client and cached. A token signed with a `kid` we
 * have not seen triggers one refetch (rate-limited), which is how key rotation at the issuer is picked up.
 */
export class RemoteKeySet {
  private keys: { set: JWTVerifyGetKey; fetchedAt: number } | undefined;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<JWTVerifyGetKey> | undefined;
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  /** How many times the key set was downloaded; exposed for tests and metrics. */
  fetches = 0;

  constructor(private readonly options: RemoteKeySetOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The `getKey` function for jose's `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const set = await this.current();
    try {
      return await set(header, token);
    } catch (error) {
      const unknownKid = error instanceof joseErrors.JWKSNoMatchingKey;
      if (!unknownKid || this.now() - this.lastFetchAt < this.cooldownMs) throw error;
      return (await this.refresh())(header, token);
    }
  };

  /** Cached keys while fresh; after that a refetch, falling back to the old keys while the issuer is unreachable. */
  private async current(): Promise<JWTVerifyGetKey> {
    const keys = this.keys;
    if (keys && this.now() - keys.fetchedAt < this.maxAgeMs) return keys.set;
    if (keys && this.now() - this.lastFetchAt < this.cooldownMs) return keys.set;
    try {
      return await this.refresh();
    } catch (error) {
      if (keys) return keys.set;
      throw error;
    }
  }

  private refresh(): Promise<JWTVerifyGetKey> {
    this.inflight ??= this.download().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async download(): Promise<JWTVerifyGetKey> {
    this.lastFetchAt = this.now();
    this.fetches += 1;
    const url = await this.options.jwksUrl();
    const response = await this.options.client.fetch(url, {
      headers: { accept: 'application/json' },
      maxBytes: MAX_JWKS_BYTES,
    });
    if (response.status !== 200) throw new Error(`JWKS endpoint ${url} returned status ${response.status}`);
    let body: unknown;
    try {
      body = response.json();
    } catch {
      throw new Error(`JWKS endpoint ${url} did not return JSON`);
    }
    if (!body || typeof body !== 'object' || !Array.isArray((body as JSONWebKeySet).keys)) {
      throw new Error(`JWKS endpoint ${url} did not return a key set ({"keys": [...]})`);
    }
    const set = createLocalJWKSet(body as JSONWebKeySet);
    this.keys = { set, fetchedAt: this.now() };
    return set;
  }
}

/**
 * The JWKS URL from an issuer's `/.well-known/openid-configuration`, checking that the document names the same
 * issuer (OpenID Connect Discovery §4.3), cached after the first success.
 */
export function discoveredJwksUrl(client: OutboundClient, issuer: string): () => Promise<string> {
  let cached: string | undefined;
  return async () => {
    if (cached) return cached;
    const url = `${issuer}/.well-known/openid-configuration`;
    const response = await client.fetch(url, { headers: { accept: 'application/json' }, maxBytes: MAX_JWKS_BYTES });
    if (response.status !== 200) throw new Error(`OIDC discovery ${url} returned status ${response.status}`);
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      doc = response.json() as typeof doc;
    } catch {
      throw new Error(`OIDC discovery ${url} did not return JSON`);
    }
    if (doc.issuer !== issuer) {
      throw new Error(`OIDC discovery at ${url} names issuer ${JSON.stringify(doc.issuer)}, expected ${issuer}`);
    }
    if (typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
    cached = doc.jwks_uri;
    return cached;
  };
}
