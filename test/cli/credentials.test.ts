import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenFileError, resolveCredentials, tokenFilePath } from '../../src/cli/credentials.js';
import { colourEnabled } from '../../src/cli/output.js';

const REGISTRY = 'http://127.0.0.1:8080';

function withFile(content: unknown): { env: NodeJS.ProcessEnv; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-token-'));
  const file = path.join(dir, 'token.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
  return { env: { WHARF_TOKEN_FILE: file }, file };
}

describe('token lookup', () => {
  it('prefers --token, then WHARF_TOKEN, then the token file', () => {
    const { env } = withFile({ registry: REGISTRY, token: 'from-file' });
    expect(resolveCredentials({ flagToken: 'from-flag', registry: REGISTRY, env })?.token).toBe('from-flag');
    expect(resolveCredentials({ registry: REGISTRY, env: { ...env, WHARF_TOKEN: 'from-env' } })).toMatchObject({
      token: 'from-env',
      source: 'env',
    });
    expect(resolveCredentials({ registry: REGISTRY, env })).toMatchObject({ token: 'from-file', source: 'file' });
  });

  it('finds the file under XDG_CONFIG_HOME, else ~/.config, unless WHARF_TOKEN_FILE says otherwise', () => {
    expect(tokenFilePath({ XDG_CONFIG_HOME: '/x' })).toBe('/x/wharf/token.json');
    expect(tokenFilePath({})).toBe(path.join(os.homedir(), '.config', 'wharf', 'token.json'));
    expect(tokenFilePath({ WHARF_TOKEN_FILE: '/y/t.json', XDG_CONFIG_HOME: '/x' })).toBe('/y/t.json');
  });

  it('never sends a token file to a registry it was not issued for', () => {
    const { env } = withFile({ registry: 'https://registry.example.com/', token: 't' });
    expect(resolveCredentials({ registry: REGISTRY, env })).toBeUndefined();
    expect(resolveCredentials({ registry: 'https://REGISTRY.example.com', env })?.token).toBe('t');
  });

  it('marks an expired token (unix seconds or ISO) and keeps a live one', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const past = withFile({ token: 't', expires_at: now / 1000 - 1 });
    expect(resolveCredentials({ registry: REGISTRY, env: past.env, now })).toMatchObject({ expired: true });
    const future = withFile({ token: 't', expires_at: '2026-01-01T00:05:00Z' });
    expect(resolveCredentials({ registry: REGISTRY, env: future.env, now })).toMatchObject({
      expired: false,
      expiresAt: now + 300_000,
    });
  });

  it('reports a missing file as no token and a malformed one as an error', () => {
    expect(
      resolveCredentials({ registry: REGISTRY, env: { WHARF_TOKEN_FILE: '/nonexistent/t.json' } }),
    ).toBeUndefined();
    expect(() => resolveCredentials({ registry: REGISTRY, env: withFile('{oops').env })).toThrow(TokenFileError);
    expect(() => resolveCredentials({ registry: REGISTRY, env: withFile({ registry: REGISTRY }).env })).toThrow(
      'has no "token"',
    );
  });
});

describe('colour', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  it('is on only for a terminal without NO_COLOR or TERM=dumb', () => {
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(pipe, {})).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled(tty, { TERM: 'dumb' })).toBe(false);
  });
});
