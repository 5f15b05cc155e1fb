import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accepts, freePort } from './ports.js';

/**
 * Starts a throwaway redis-server from the locally installed binary (Debian's redis-server package) on
 * loopback and a free port, without persistence. Returns undefined when no binary exists.
 */
export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

export function findRedisServer(): string | undefined {
  const fromEnv = process.env.WHARF_TEST_REDIS_SERVER;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function startRedis(): Promise<RedisServer | undefined> {
  const binary = findRedisServer();
  if (!binary) return undefined;
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited during start:\n${output}`);
    const ready = await accepts(port);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`redis-server did not start within 15 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!stopped) child.kill('SIGKILL');
    },
  };
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms).unref());
}
