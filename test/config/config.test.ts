import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeDatabase, loadConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({}, {});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe(path.resolve('./.wharf'));
    expect(config.database).toEqual({ kind: 'sqlite', file: path.resolve('./.wharf/wharf.db') });
    expect(config.anonymousAuth).toBe(false);
    expect(config.allowPrivateNetworks).toBe(false);
    expect(config.adminToken).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it('reads package registry base URLs for ownership checks', () => {
    const config = loadConfig(
      {},
      { WHARF_NPM_REGISTRY_URL: 'http://127.0.0.1:4873', WHARF_CARGO_URL: 'https://crates.example' },
    );
    expect(config.packageRegistries).toEqual({ npm: 'http://127.0.0.1:4873', cargo: 'https://crates.example' });
    expect(() => loadConfig({}, { WHARF_PYPI_URL: 'ftp://x' })).toThrow(
      'WHARF_PYPI_URL = "ftp://x": must be an http(s) URL',
    );
  });

  it('prefers flags over environment variables', () => {
    const config = loadConfig({ port: '9000', host: '0.0.0.0' }, { WHARF_PORT: '7000', WHARF_HOST: '::1' });
    expect(config.port).toBe(9000);
    expect(config.host).toBe('0.0.0.0');
  });

  it('reads every WHARF_* variable', () => {
    const config = loadConfig(
      {},
      {
        WHARF_HOST: '::1',
        WHARF_PORT: '0',
        WHARF_DATA_DIR: '/tmp/wharf-x',
        WHARF_DATABASE_URL: 'postgres://u:p@db.example:5433/wharf',
        WHARF_REDIS_URL: 'redis://127.0.0.1:6379',
        WHARF_ADMIN_TOKEN: 'a-very-long-admin-token',
        WHARF_AUTH_ANONYMOUS: 'true',
        WHARF_ALLOW_PRIVATE_NETWORKS: '1',
      },
    );
    expect(config).toMatchObject({
      host: '::1',
      port: 0,
      dataDir: '/tmp/wharf-x',
      database: { kind: 'postgres', url: 'postgres://u:p@db.example:5433/wharf' },
      redisUrl: 'redis://127.0.0.1:6379',
      adminToken: 'a-very-long-admin-token',
      anonymousAuth: true,
      allowPrivateNetworks: true,
    });
    expect(describeDatabase(config.database)).toBe('PostgreSQL db.example:5433/wharf');
  });

  it.each([
    [{ WHARF_PORT: 'eighty' }, '--port / WHARF_PORT = "eighty": must be a number'],
    [{ WHARF_PORT: '70000' }, '--port / WHARF_PORT = "70000": must be between 0 and 65535'],
    [{ WHARF_DATABASE_URL: 'mysql://x' }, '--database-url / WHARF_DATABASE_URL = "mysql://x": must be a postgres://'],
    [{ WHARF_AUTH_ANONYMOUS: 'maybe' }, 'WHARF_AUTH_ANONYMOUS = "maybe": WHARF_AUTH_ANONYMOUS must be true or false'],
    [{ WHARF_ADMIN_TOKEN: 'short' }, 'WHARF_ADMIN_TOKEN = (hidden): must be at least 16 characters long'],
    [{ WHARF_REDIS_URL: 'http://x' }, '--redis-url / WHARF_REDIS_URL = "http://x": must be a redis://'],
  ])('names the bad setting in its error (%j)', (env, message) => {
    expect(() => loadConfig({}, env)).toThrow(ConfigError);
    expect(() => loadConfig({}, env)).toThrow(message);
  });

  it('never prints a secret value', () => {
    let message = '';
    try {
      loadConfig({}, { WHARF_ADMIN_TOKEN: 'tooshortsecret' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain('WHARF_ADMIN_TOKEN');
    expect(message).not.toContain('tooshortsecret');
  });
});
