/**
 * Bookkeeping for the child processes the bench starts (Wharf, raw baseline servers, load generators), so that an
 * interrupted or crashed run never leaves one behind. Only processes started here are ever signalled.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function killAllTracked(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
  live.clear();
}

let installed = false;

/** Kill leftovers on exit and on Ctrl-C. */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAllTracked('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping child processes`);
      killAllTracked('SIGKILL');
      process.exit(130);
    });
  }
}

/** Waits for a child to exit, bounded in time; resolves with its exit code/signal, or null on timeout. */
export function waitForExit(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(null);
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      resolve({ code, signal });
    };
    child.once('exit', onExit);
  });
}

/** Keeps the last lines a child printed, for error reports. */
export class OutputTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly max = 80) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
  }

  text(): string {
    return [...this.lines, this.partial].filter((line) => line.length > 0).join('\n');
  }

  /** Whether any line seen so far (within the tail) matches. */
  some(pattern: RegExp): boolean {
    return this.lines.some((line) => pattern.test(line)) || pattern.test(this.partial);
  }
}
