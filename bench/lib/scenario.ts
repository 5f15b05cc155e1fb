/** What a scenario gets from the dispatcher (bench/run.ts) and what it gives back. */
import type { ScenarioReport } from './report.js';

export interface Sizes {
  /** Servers in the data set (each with several versions). */
  servers: number;
  /** Seconds of discarded load before the measured rounds, per target. */
  warmupSec: number;
  /** Seconds per measured autocannon round. */
  durationSec: number;
  /** Measured rounds per target, interleaved; the median round is reported. */
  rounds: number;
}

export interface ScenarioContext {
  quick: boolean;
  rebuildData: boolean;
  sizes: Sizes;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: ScenarioContext): Promise<ScenarioReport>;
}

export const FULL_SIZES: Sizes = { servers: 25_000, warmupSec: 2, durationSec: 5, rounds: 3 };
export const QUICK_SIZES: Sizes = { servers: 2_000, warmupSec: 1, durationSec: 2, rounds: 1 };

/** Common lines for every report header. */
export function environmentInfo(ctx: ScenarioContext, cpu: string): string[] {
  return [
    `mode: ${ctx.quick ? 'quick (smoke run; figures are indicative only)' : 'full'}; node ${process.version}; ${cpu}`,
    `Wharf log level: ${process.env.WHARF_LOG_LEVEL ?? 'default (info)'}`,
  ];
}
