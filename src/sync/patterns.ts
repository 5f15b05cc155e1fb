import { matchesPattern } from '../auth/permissions.js';

/**
 * Which upstream names a sync mirrors: the permission pattern semantics (`*` everything, a trailing `*` a prefix,
 * anything else an exact, case-sensitive name). An empty allow list allows every name; deny wins over allow.
 */
export class NameFilter {
  constructor(
    readonly allow: readonly string[],
    readonly deny: readonly string[],
  ) {}

  accepts(name: string): boolean {
    if (this.deny.some((pattern) => matchesPattern(pattern, name))) return false;
    return this.allow.length === 0 || this.allow.some((pattern) => matchesPattern(pattern, name));
  }
}

/** Splits a comma-separated pattern list; returns the problem with the first bad pattern, if any. */
export function parsePatterns(text: string | undefined): { patterns: string[]; problem?: string } {
  const patterns = (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const bad = patterns.find((p) => p.slice(0, -1).includes('*') || /\s/.test(p));
  return bad === undefined
    ? { patterns }
    : { patterns, problem: `"${bad}" is not a name pattern: use an exact name, a prefix ending in *, or *` };
}
