/**
 * Running Wharf for a benchmark: the built CLI (dist/cli/main.js) as a child process pinned to the server CPU, with
 * its own data directory, ready once GET /ready answers 200. Also the `import` command used to populate data sets.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../data/model.js';
import { OutputTail, track, waitForExit } from './children.js';
import { pinned } from './cpu.js';
import { freePort, request, sleep } from './http.js';

/** The built CLI; WHARF_BENCH_CLI points the bench at another build (e.g. a baseline commit's dist). */
export const WHARF_CLI = path.resolve(REPO_ROOT, process.env.WHARF_BENCH_CLI ?? path.join('dist', 'cli', 'main.js'));

/** Wharf's stdout and stderr go to a file, not through a pipe: draining a busy request log would cost this process
 * (which shares the load generator's CPU) cycles in the middle of a measurement. */
export const LOG_DIR = path.join(REPO_ROOT, 'bench', '.cache', 'logs');

function tailOfFile(file: string, bytes = 16_384): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    return (size > length ? text.slice(text.indexOf('\n') + 1) : text).trimEnd();
  } catch {
    return '(no output)';
  }
}

/** The environment Wharf children get: this process's, minus every WHARF_* setting (a developer's WHARF_DATABASE_URL
 * or WHARF_PACKAGE_VALIDATION must not turn a SQLite benchmark into a PostgreSQL one or send traffic off the machine)
 * except WHARF_LOG_LEVEL, which is reported in every table header. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('WHARF_') || key === 'WHARF_LOG_LEVEL') env[key] = value;
  }
  return { ...env, NODE_ENV: process.env.NODE_ENV ?? 'production', WHARF_PACKAGE_VALIDATION: 'false', ...extra };
}

export function assertBuilt(): void {
  if (!existsSync(WHARF_CLI)) throw new Error(`${WHARF_CLI} does not exist: run \`npm run build\` first`);
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WharfProcess {
  pid: number;
  baseUrl: string;
  adminToken: string;
  /** Set once the process has exited (expectedly or not). */
  exited(): ExitInfo | undefined;
  /** The last lines it printed (stdout and stderr). */
  output(): string;
  /** Where all of its output is. */
  logFile: string;
  /** Throws a descriptive error if the server died (call after every measurement). */
  assertAlive(context: string): void;
  /** SIGTERM, then SIGKILL after the grace period; returns how it ended. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

export interface StartOptions {
  dataDir: string;
  adminToken?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Names the log file bench/.cache/logs/<label>.log (overwritten by the next run with the same label). */
  label?: string;
}

export async function startWharf(options: StartOptions): Promise<WharfProcess> {
  assertBuilt();
  const port = await freePort();
  const adminToken = options.adminToken ?? `bench-admin-${process.pid}-${Date.now().toString(36)}`;
  const { command, args } = pinned('server', process.execPath, [
    WHARF_CLI,
    'serve',
    '--port',
    String(port),
    '--data-dir',
    options.dataDir,
  ]);
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${options.label ?? 'wharf'}.log`);
  const logFd = openSync(logFile, 'w');
  const child = track(
    spawn(command, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', logFd, logFd],
      env: childEnv({ WHARF_HOST: '127.0.0.1', WHARF_ADMIN_TOKEN: adminToken, ...options.env }),
    }),
  );
  closeSync(logFd);
  if (child.pid === undefined) throw new Error('could not spawn Wharf');
  const output = { text: () => `${tailOfFile(logFile)}\n(full output: ${path.relative(REPO_ROOT, logFile)})` };
  let exitInfo: ExitInfo | undefined;
  child.once('exit', (code, signal) => {
    exitInfo = { code, signal };
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const describeExit = (): string =>
    exitInfo ? `exited with code ${exitInfo.code}${exitInfo.signal ? `, signal ${exitInfo.signal}` : ''}` : 'running';

  const wharf: WharfProcess = {
    pid: child.pid,
    baseUrl,
    adminToken,
    logFile,
    exited: () => exitInfo,
    output: () => output.text(),
    assertAlive(context) {
      if (exitInfo) {
        throw new Error(`Wharf died during ${context} (${describeExit()}). Last output:\n${output.text()}`);
      }
    },
    async stop(graceMs = 15_000) {
      if (exitInfo) return exitInfo;
      child.kill('SIGTERM');
      const ended = await waitForExit(child, graceMs);
      if (ended) return ended;
      child.kill('SIGKILL');
      return (await waitForExit(child, 5_000)) ?? { code: null, signal: 'SIGKILL' };
    },
  };

  // Poll /ready: bounded by count and time.
  const timeoutMs = options.readyTimeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (let attempt = 0; attempt < timeoutMs / 50 && Date.now() < deadline; attempt++) {
    if (exitInfo) break;
    try {
      const response = await request(`${baseUrl}/ready`, { timeoutMs: 5_000 });
      if (response.status === 200) return wharf;
      last = `GET /ready answered ${response.status}: ${response.body.toString().slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(attempt < 20 ? 50 : 200);
  }
  if (exitInfo) {
    throw new Error(`Wharf ${describeExit()} before it was ready (last: ${last}). Last output:\n${output.text()}`);
  }
  await wharf.stop(2_000);
  throw new Error(`Wharf was not ready within ${timeoutMs / 1000} s (last: ${last}). Last output:\n${output.text()}`);
}

export interface ImportResult {
  imported?: number;
  skipped?: number;
  output: string;
  ms: number;
}

/** `node dist/cli/main.js import <file> --data-dir <dir>`, bounded in time. */
export async function importFile(file: string, dataDir: string, timeoutMs = 30 * 60_000): Promise<ImportResult> {
  assertBuilt();
  const started = performance.now();
  const child = track(
    spawn(process.execPath, [WHARF_CLI, 'import', file, '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
    }),
  );
  const output = new OutputTail(200);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const ended = await waitForExit(child, timeoutMs);
  if (ended === null) {
    child.kill('SIGKILL');
    throw new Error(`wharf import did not finish within ${timeoutMs / 1000} s. Last output:\n${output.text()}`);
  }
  if (ended.code !== 0) {
    throw new Error(`wharf import failed (code ${ended.code}, signal ${ended.signal}). Output:\n${output.text()}`);
  }
  const text = output.text();
  const match = /imported\D*(\d+)\D+skipped\D*(\d+)/i.exec(text);
  return {
    ...(match ? { imported: Number(match[1]), skipped: Number(match[2]) } : {}),
    output: text,
    ms: performance.now() - started,
  };
}
