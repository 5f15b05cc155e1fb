/** Wall-clock time as ISO strings, strictly increasing within the process. */
export interface Clock {
  now(): string;
}

/**
 * Two writes in the same millisecond would share an `updated_at`, and a sync reading `updated_since`
 * between them would miss the second; keeping the clock strictly increasing closes that gap in-process.
 */
export function monotonicClock(source: () => number = Date.now): Clock {
  let last = 0;
  return {
    now() {
      last = Math.max(source(), last + 1);
      return new Date(last).toISOString();
    },
  };
}

/** Milliseconds since the epoch for timers and leases; injectable so tests move time instead of sleeping. */
export interface TimeSource {
  nowMs(): number;
}

export const systemTime: TimeSource = { nowMs: () => Date.now() };

/** A time source that only moves when told to. */
export class ManualTime implements TimeSource {
  constructor(private ms: number = Date.parse('2026-01-01T00:00:00Z')) {}

  nowMs(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
