/** Resident memory of a process, from /proc/<pid>/status (Linux). */
import { readFileSync } from 'node:fs';

export interface MemoryReading {
  /** VmRSS: resident set size now, MiB. */
  rssMb: number;
  /** VmHWM: peak resident set size since start, MiB. */
  peakMb: number;
}

export function readMemory(pid: number): MemoryReading | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) : Number.NaN;
  };
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}
