import semver from 'semver';

/**
 * "Semver" in the official sense: valid semantic version with exactly three numeric core parts
 * (so `1.0` or `v1.2.3` are not). Build metadata is allowed and ignored when comparing.
 */
export function isSemver(version: string): boolean {
  const parsed = semver.parse(version);
  if (parsed === null) return false;
  // semver.parse tolerates a leading "v", "=" and whitespace; the official check does not.
  const canonical = parsed.build.length > 0 ? `${parsed.version}+${parsed.build.join('.')}` : parsed.version;
  return canonical === version;
}

export interface VersionCandidate {
  version: string;
  publishedAt: string;
}

/**
 * The official comparator: semver against semver by precedence; a semver version beats a non-semver
 * one; two non-semver versions (or equal semver precedence) fall back to publish time.
 * Returns a positive number when `a` is newer.
 */
export function compareVersions(a: VersionCandidate, b: VersionCandidate): number {
  const aSemver = isSemver(a.version);
  const bSemver = isSemver(b.version);
  if (aSemver && bSemver) {
    const byPrecedence = semver.compare(a.version, b.version);
    if (byPrecedence !== 0) return byPrecedence;
  } else if (aSemver !== bSemver) {
    return aSemver ? 1 : -1;
  }
  return a.publishedAt < b.publishedAt ? -1 : a.publishedAt > b.publishedAt ? 1 : 0;
}

/** The version that should carry `isLatest`: the newest non-deleted one, else the newest of all. */
export function pickLatest<T extends VersionCandidate & { status: string }>(versions: readonly T[]): T | undefined {
  const eligible = versions.filter((v) => v.status !== 'deleted');
  const pool = eligible.length > 0 ? eligible : versions;
  let best: T | undefined;
  for (const candidate of pool) {
    if (best === undefined || compareVersions(candidate, best) > 0) best = candidate;
  }
  return best;
}
