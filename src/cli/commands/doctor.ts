import fs from 'node:fs';
import type { Command } from 'commander';
import type { ConfigFlags, WharfConfig } from '../../config/config.js';
import { withConfigFlags } from '../config-flags.js';
import { resolveCredentials, tokenFilePath } from '../credentials.js';
import { out, paint, printJson, spinner } from '../output.js';
import { EXIT, cliCommand, registryUrl, run, withJson } from '../remote.js';
import type { RegistryFlags } from '../remote.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** Clock skew beyond this fails: DNS/HTTP proofs must be within ±15 s and tokens live minutes. */
const SKEW_FAIL_MS = 15_000;
const SKEW_WARN_MS = 5_000;

export function doctorCommand(): Command {
  return withJson(
    withConfigFlags(
      cliCommand('doctor')
        .summary('Check configuration, data dir, database, registry, clock and token')
        .description(
          'Check the local setup: configuration, data dir permissions, database connectivity and migrations, the registry at --registry, the clock and the token; exits 1 when a check fails',
        )
        .option('--registry <url>', 'registry base URL to reach (env WHARF_REGISTRY, default http://127.0.0.1:8080)')
        .option('--token <token>', 'bearer token to check (env WHARF_TOKEN, else the token file)'),
    ),
  ).action(
    run(async (flags: RegistryFlags & ConfigFlags) => {
      const progress = spinner('checking');
      let checks: Check[];
      try {
        checks = await runChecks(flags);
      } finally {
        progress.stop();
      }
      if (flags.json) {
        printJson({ ok: !checks.some((c) => c.status === 'fail'), checks });
      } else {
        const p = paint();
        const mark = { ok: p.green('✓'), warn: p.yellow('!'), fail: p.red('✗'), skip: p.dim('-') };
        const width = Math.max(...checks.map((c) => c.name.length));
        for (const c of checks) out(`${mark[c.status]} ${c.name.padEnd(width)}  ${c.detail}`);
      }
      return checks.some((c) => c.status === 'fail') ? EXIT.failure : EXIT.ok;
    }),
  );
}

async function runChecks(flags: RegistryFlags & ConfigFlags): Promise<Check[]> {
  const checks: Check[] = [];
  const { describeDatabase, loadConfig } = await import('../../config/config.js');
  let config: WharfConfig | undefined;
  try {
    config = loadConfig(flags);
    checks.push({ name: 'configuration', status: 'ok', detail: `database ${describeDatabase(config.database)}` });
  } catch (error) {
    checks.push({ name: 'configuration', status: 'fail', detail: (error as Error).message.replace(/\n\s*/g, ' ') });
  }
  if (config) {
    checks.push(checkDataDir(config.dataDir));
    checks.push(...(await checkDatabase(config)));
  } else {
    for (const name of ['data dir', 'database', 'migrations']) {
      checks.push({ name, status: 'skip', detail: 'needs a valid configuration' });
    }
  }
  checks.push(...(await checkRegistry(flags)));
  checks.push(checkToken(flags));
  return checks;
}

function checkDataDir(dir: string): Check {
  const name = 'data dir';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return { name, status: 'warn', detail: `${dir} does not exist yet (wharf serve creates it)` };
  }
  if (!stat.isDirectory()) return { name, status: 'fail', detail: `${dir} is not a directory` };
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return { name, status: 'fail', detail: `${dir} is not readable and writable by this user` };
  }
  const mode = stat.mode & 0o777;
  if (mode & 0o077) {
    return {
      name,
      status: 'warn',
      detail: `${dir} is accessible to other users (mode ${mode.toString(8)}); it holds keys and secrets: chmod 700 ${dir}`,
    };
  }
  return { name, status: 'ok', detail: `${dir} (mode ${mode.toString(8)})` };
}

async function checkDatabase(config: WharfConfig): Promise<Check[]> {
  if (config.database.kind === 'sqlite' && !fs.existsSync(config.database.file)) {
    return [
      {
        name: 'database',
        status: 'warn',
        detail: `${config.database.file} does not exist yet (wharf serve creates it)`,
      },
      { name: 'migrations', status: 'skip', detail: 'no database yet' },
    ];
  }
  const { openDatabase } = await import('../../platform/storage/database.js');
  const { sqliteMigrations } = await import('../../platform/storage/migrations/sqlite.js');
  const { postgresMigrations } = await import('../../platform/storage/migrations/postgres.js');
  const { sql } = await import('kysely');
  let database;
  const started = Date.now();
  try {
    database = await openDatabase(config.database, { migrate: false, poolSize: 1 });
  } catch (error) {
    return [
      { name: 'database', status: 'fail', detail: `cannot connect: ${(error as Error).message}` },
      { name: 'migrations', status: 'skip', detail: 'no connection' },
    ];
  }
  const checks: Check[] = [{ name: 'database', status: 'ok', detail: `reachable in ${Date.now() - started} ms` }];
  try {
    const expected = (database.dialect === 'sqlite' ? sqliteMigrations : postgresMigrations).map((m) => m.name);
    let applied: string[];
    try {
      const result = await sql<{ name: string }>`SELECT name FROM wharf_migrations ORDER BY name`.execute(database.db);
      applied = result.rows.map((r) => r.name);
    } catch {
      applied = [];
    }
    const pending = expected.filter((n) => !applied.includes(n));
    const unknown = applied.filter((n) => !expected.includes(n));
    if (unknown.length > 0) {
      checks.push({
        name: 'migrations',
        status: 'fail',
        detail: `the database has migrations this build does not know (${unknown.join(', ')}): is it used by a newer Wharf?`,
      });
    } else if (pending.length > 0) {
      checks.push({
        name: 'migrations',
        status: 'warn',
        detail: `${pending.length} pending (${pending.join(', ')}); wharf serve applies them at start`,
      });
    } else {
      checks.push({ name: 'migrations', status: 'ok', detail: `all ${expected.length} applied` });
    }
  } finally {
    await database.close();
  }
  return checks;
}

async function checkRegistry(flags: RegistryFlags): Promise<Check[]> {
  let registry: string;
  try {
    registry = registryUrl(flags);
  } catch (error) {
    return [
      { name: 'registry', status: 'fail', detail: (error as Error).message },
      { name: 'clock', status: 'skip', detail: 'no registry to compare with' },
    ];
  }
  const started = Date.now();
  let response: Response;
  try {
    response = await fetch(`${registry}/v0.1/version`, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return [
      { name: 'registry', status: 'fail', detail: `${registry} unreachable (${cause})` },
      { name: 'clock', status: 'skip', detail: 'no registry to compare with' },
    ];
  }
  const finished = Date.now();
  const checks: Check[] = [];
  if (response.ok) {
    const body = (await response.json().catch(() => ({}))) as { version?: string };
    checks.push({
      name: 'registry',
      status: 'ok',
      detail: `${registry} answers (version ${body.version ?? 'unknown'}) in ${finished - started} ms`,
    });
  } else {
    await response.body?.cancel();
    checks.push({ name: 'registry', status: 'fail', detail: `${registry}/v0.1/version answered ${response.status}` });
  }
  const date = response.headers.get('date');
  if (!date) {
    checks.push({ name: 'clock', status: 'skip', detail: 'the registry sent no Date header' });
  } else {
    // Date has one-second resolution; compare with the middle of the round trip.
    const skew = Date.parse(date) - (started + finished) / 2;
    const abs = Math.abs(skew);
    const detail = `${abs < 1_000 ? 'within 1 s of' : `${(skew / 1000).toFixed(0)} s off`} the registry's clock`;
    checks.push({ name: 'clock', status: abs > SKEW_FAIL_MS ? 'fail' : abs > SKEW_WARN_MS ? 'warn' : 'ok', detail });
  }
  return checks;
}

function checkToken(flags: RegistryFlags): Check {
  const name = 'token';
  try {
    const registry = registryUrl(flags);
    const credentials = resolveCredentials({ flagToken: flags.token, registry });
    if (!credentials) return { name, status: 'skip', detail: `none for ${registry} (wharf login creates one)` };
    const from =
      credentials.source === 'file' ? credentials.file : credentials.source === 'env' ? 'WHARF_TOKEN' : '--token';
    if (credentials.expired) {
      return { name, status: 'warn', detail: `the token from ${from} has expired: run wharf login again` };
    }
    if (credentials.source === 'file' && credentials.file) {
      const mode = fs.statSync(credentials.file).mode & 0o777;
      if (mode & 0o077) {
        return {
          name,
          status: 'warn',
          detail: `${credentials.file} is readable by others (mode ${mode.toString(8)}): chmod 600`,
        };
      }
    }
    const expires = credentials.expiresAt ? `, expires ${new Date(credentials.expiresAt).toISOString()}` : '';
    return { name, status: 'ok', detail: `from ${from}${expires}` };
  } catch (error) {
    return { name, status: 'fail', detail: `${(error as Error).message} (${tokenFilePath()})` };
  }
}
