import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { FakeHttpServer, sendJson } from './http-server.js';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/**
 * A local OIDC issuer: `/.well-known/openid-configuration` and a JWKS (also at GitHub's `/.well-known/jwks` path),
 * signing ID tokens with keys made by jose. `rotate()` adds a new key the published set only shows once `publish()`
 * runs, to test refetching on an unknown `kid`.
 */
export class FakeOidcIssuer extends FakeHttpServer {
  private keys: SigningKey[] = [];
  private published: JWK[] = [];
  jwksFetches = 0;
  /** Simulates an outage of the key endpoint. */
  jwksDown = false;

  constructor(private readonly alg: 'RS256' | 'ES256' = 'RS256') {
    super();
    this.handle = (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/.well-known/openid-configuration') {
        return sendJson(res, 200, {
          issuer: this.url,
          jwks_uri: `${this.url}/keys`,
          id_token_signing_alg_values_supported: [this.alg],
        });
      }
      if (path === '/keys' || path === '/.well-known/jwks') {
        this.jwksFetches += 1;
        if (this.jwksDown) return sendJson(res, 503, {});
        return sendJson(res, 200, { keys: this.published });
      }
      return sendJson(res, 404, {});
    };
  }

  override async start(): Promise<this> {
    await super.start();
    await this.rotate();
    this.publish();
    return this;
  }

  /** Generates a new current signing key (not yet published). */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(this.alg, { extractable: true });
    const kid = `key-${this.keys.length + 1}`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: this.alg, use: 'sig' };
    this.keys.push({ kid, privateKey, jwk });
    return kid;
  }

  /** Publishes every key generated so far. */
  publish(): void {
    this.published = this.keys.map((k) => k.jwk);
  }

  async sign(
    claims: JWTPayload,
    options: { expiresIn?: number; kid?: string; issuer?: string; audience?: string | string[] } = {},
  ): Promise<string> {
    const key = options.kid ? this.keys.find((k) => k.kid === options.kid) : this.keys[this.keys.length - 1];
    if (!key) throw new Error('no such key');
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: this.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? this.url)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 300));
    if (options.audience !== undefined) jwt.setAudience(options.audience);
    return jwt.sign(key.privateKey);
  }
}

/** An unsigned (`alg: none`) token with the given claims. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}
