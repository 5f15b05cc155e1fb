import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * AES-256-GCM for secrets at rest (upstream credentials). The key is derived once, at start, from
 * `WHARF_SECRET_KEY` or a random secret kept in the data dir; sealing and opening never run a KDF.
 * Sealed form: `v1.<iv>.<ciphertext>.<tag>` (base64url), bound to a purpose string as associated data so a
 * value sealed for one column cannot be replayed into another.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the secret-box key must be 32 bytes');
    this.key = key;
  }

  seal(plaintext: string, purpose: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** Throws when the value was sealed with another key or purpose, or was tampered with. */
  open(sealed: string, purpose: string): string {
    const [version, iv, body, tag, extra] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || body === undefined || tag === undefined || extra !== undefined) {
      throw new Error('not a sealed secret');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

const SECRET_FILE = 'secret.key';

/**
 * The secret box for this deployment: from `WHARF_SECRET_KEY` (any string of 32+ characters, the same on every
 * replica) or else from `<dataDir>/secret.key` (32 random bytes, created 0600 on first start).
 */
export function loadSecretBox(config: { dataDir: string; secretKey: string | undefined }): SecretBox {
  let material: Buffer;
  if (config.secretKey) {
    material = Buffer.from(config.secretKey, 'utf8');
  } else {
    const file = path.join(config.dataDir, SECRET_FILE);
    if (fs.existsSync(file)) {
      material = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
    } else {
      fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      material = randomBytes(32);
      try {
        fs.writeFileSync(file, `${material.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another process created it first: use theirs, so both agree.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        material = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
      }
    }
  }
  return new SecretBox(Buffer.from(hkdfSync('sha256', material, 'wharf', 'secret box v1', 32)));
}
