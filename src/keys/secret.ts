import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The HMAC secret API key digests are computed with: WHARF_KEY_SECRET when set (replicas must share it),
 * else the one kept in the data dir, else a new one written there (mode 0600). Losing it invalidates every
 * key, which is the point: a copied database alone cannot be used to check guessed keys.
 */
export function loadKeySecret(dataDir: string, configured: string | undefined): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = path.join(dataDir, 'api-key-hmac.secret');
  if (fs.existsSync(file)) return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('hex');
  try {
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process sharing the data dir wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
    }
    throw error;
  }
  return Buffer.from(secret, 'hex');
}
