import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '../..');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * The compiled CLI when `npm run build` output is at least as new as every source file (always so
 * after `npm ci`), which starts several times faster than compiling through tsx in each child;
 * otherwise the sources through tsx, so a test never runs stale code.
 */
const command: string[] = (() => {
  const built = path.join(root, 'dist/cli/main.js');
  const newestSource = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
      const full = path.join(dir, entry.name);
      return Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
    }, 0);
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestSource(path.join(root, 'src'))) return [built];
  return ['--import', tsx, path.join(root, 'src/cli/main.ts')];
})();

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `wharf` CLI (from source, through tsx) to completion; `input`, when given, is its stdin. */
export function runWharf(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  cwd = root,
  input?: string,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnWharf(args, env, cwd, input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wharf ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function spawnWharf(args: string[], env: Record<string, string> = {}, cwd = root, input?: string): ChildProcess {
  // tsx is resolved from the project, so the CLI also runs with another working directory (wharf init).
  const child = spawn(process.execPath, [...command, ...args], {
    cwd,
    env: { ...process.env, WHARF_LOG_LEVEL: 'warn', ...env },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(input);
  return child;
}

export interface RunningServer {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `wharf serve --port 0` and resolves once it prints where it listens. */
export async function startServer(args: string[], env: Record<string, string> = {}): Promise<RunningServer> {
  const child = spawnWharf(['serve', '--port', '0', ...args], env);
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    baseUrl,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/** A `wharf serve` in a temporary directory of its own, and the environment that points the CLI at it as admin. */
export interface CliTarget {
  server: RunningServer;
  /** The temporary directory (the server's data lives in `data/` under it); removed by `close`. */
  dir: string;
  /** `WHARF_REGISTRY` and `WHARF_TOKEN` (the admin token) for `runWharf`; no token file, no colours. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startCliTarget(label: string, serverEnv: Record<string, string>): Promise<CliTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wharf-cli-${label}-`));
  const server = await startServer(['--data-dir', path.join(dir, 'data')], serverEnv);
  const token = serverEnv.WHARF_ADMIN_TOKEN ?? '';
  return {
    server,
    dir,
    env: {
      WHARF_REGISTRY: server.baseUrl,
      WHARF_TOKEN: token,
      WHARF_TOKEN_FILE: path.join(dir, 'no-token.json'),
      NO_COLOR: '1',
    },
    async close() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
