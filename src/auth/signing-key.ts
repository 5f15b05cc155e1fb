import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// PKCS#8 wrapper for a raw 32-byte Ed25519 seed (RFC 8410), so Node can build a KeyObject from it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function signingKeyFromSeed(seedHex: string): SigningKey {
  const seed = Buffer.from(seedHex, 'hex');
  if (seed.length !== 32) throw new Error('The JWT signing key must be a 32-byte Ed25519 seed (64 hex characters)');
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * The configured seed, else the one kept in the data dir, else a new one written there (mode 0600)
 * so tokens stay valid across restarts.
 */
export function loadSigningKey(dataDir: string, configuredSeed: string | undefined): SigningKey {
  if (configuredSeed) return signingKeyFromSeed(configuredSeed);
  const file = path.join(dataDir, 'jwt-ed25519.seed');
  if (fs.existsSync(file)) return signingKeyFromSeed(fs.readFileSync(file, 'utf8').trim());
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const seed = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${seed}\n`, { mode: 0o600, flag: 'wx' });
  return signingKeyFromSeed(seed);
}
