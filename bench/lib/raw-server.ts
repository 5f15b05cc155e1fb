/**
 * Launches the raw node:http baseline (raw-server-child.ts) as a separate process pinned to the server CPU, the same
 * CPU Wharf gets, so that "Wharf vs raw" compares like with like.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../data/model.js';
import { OutputTail, track, waitForExit } from './children.js';
import { pinned } from './cpu.js';
import type { RawServerConfig, RawServerMessage } from './raw-server-child.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'raw-server-child.ts');

export interface RawServer {
  pid: number;
  baseUrl: string;
  stop(): Promise<void>;
}

export async function startRawServer(config: RawServerConfig, startTimeoutMs = 20_000): Promise<RawServer> {
  const { command, args } = pinned('server', process.execPath, ['--import', 'tsx', CHILD]);
  const child = track(spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
  const output = new OutputTail(40);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (message: RawServerMessage): void => {
      done();
      if (message.type === 'listening') resolve(message.port);
      else reject(new Error(`raw baseline server failed: ${message.message}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      done();
      reject(new Error(`raw baseline server exited early (code ${code}, signal ${signal})\n${output.text()}`));
    };
    const timer = setTimeout(() => {
      done();
      child.kill('SIGKILL');
      reject(new Error(`raw baseline server did not start within ${startTimeoutMs} ms\n${output.text()}`));
    }, startTimeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(config);
  });
  if (child.pid === undefined) throw new Error('raw baseline server has no pid');
  return {
    pid: child.pid,
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      if ((await waitForExit(child, 5_000)) === null) child.kill('SIGKILL');
    },
  };
}
