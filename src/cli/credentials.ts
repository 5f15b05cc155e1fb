import fs from 'node:fs';
import { tokenFilePath } from './token-file.js';

export { tokenFilePath };

/**
 * Where the CLI's bearer token comes from, in one place: `--token`, else `WHARF_TOKEN`, else the token file
 * (`${XDG_CONFIG_HOME:-~/.config}/wharf/token.json`, or `WHARF_TOKEN_FILE`) that `wharf login` writes with mode 0600.
 */

export interface TokenFile {
  registry?: string;
  token: string;
  /** Unix seconds, as the token exchange answers (an ISO timestamp is accepted too). */
  expires_at?: number | string;
}

export interface Credentials {
  token: string;
  source: 'flag' | 'env' | 'file';
  /** Epoch ms, when known. */
  expiresAt?: number;
  expired: boolean;
  file?: string;
}

export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

/** The token file, or undefined when there is none; a file that exists but is unreadable or malformed is an error. */
export function readTokenFile(file: string): TokenFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenFileError(`cannot read the token file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TokenFileError(`the token file ${file} is not JSON; run wharf login again or delete it`);
  }
  const t = parsed as Partial<TokenFile> | null;
  if (!t || typeof t !== 'object' || typeof t.token !== 'string' || t.token === '') {
    throw new TokenFileError(`the token file ${file} has no "token"; run wharf login again or delete it`);
  }
  return t as TokenFile;
}

const normaliseUrl = (url: string) => url.trim().replace(/\/+$/, '').toLowerCase();

function expiryMs(value: number | string | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string' && value !== '') {
    const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * The token to send to `registry`. A token file written for another registry is not used for this one, so a
 * token never leaks to a registry it was not issued by.
 */
export function resolveCredentials(options: {
  flagToken?: string | undefined;
  registry: string;
  env?: NodeJS.ProcessEnv;
  now?: number;
}): Credentials | undefined {
  const env = options.env ?? process.env;
  if (options.flagToken) return { token: options.flagToken, source: 'flag', expired: false };
  if (env.WHARF_TOKEN) return { token: env.WHARF_TOKEN, source: 'env', expired: false };
  const file = tokenFilePath(env);
  const saved = readTokenFile(file);
  if (!saved) return undefined;
  if (saved.registry && normaliseUrl(saved.registry) !== normaliseUrl(options.registry)) return undefined;
  const expiresAt = expiryMs(saved.expires_at);
  const now = options.now ?? Date.now();
  const credentials: Credentials = {
    token: saved.token,
    source: 'file',
    expired: expiresAt !== undefined && expiresAt <= now,
    file,
  };
  if (expiresAt !== undefined) credentials.expiresAt = expiresAt;
  return credentials;
}
