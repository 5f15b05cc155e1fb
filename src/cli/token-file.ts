import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What `wharf login` stores: the registry JWT and where it is valid (the official CLI keeps the same fields). */
export interface StoredToken {
  token: string;
  method: string;
  registry: string;
  /** Unix seconds, from the exchange response. */
  expires_at?: number | undefined;
}

export { DEFAULT_REGISTRY_URL as DEFAULT_REGISTRY } from '../sdk/client.js';

/** `WHARF_TOKEN_FILE`, else `$XDG_CONFIG_HOME/wharf/token.json`, else `~/.config/wharf/token.json`. */
export function tokenFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WHARF_TOKEN_FILE) return path.resolve(env.WHARF_TOKEN_FILE);
  const configHome = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(configHome, 'wharf', 'token.json');
}

/** Writes atomically with mode 0600 (directory 0700), so the token is never readable by other users, even briefly. */
export function saveToken(stored: StoredToken, file = tokenFilePath()): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
  return file;
}

/** True when a token file was removed. */
export function removeToken(file = tokenFilePath()): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
