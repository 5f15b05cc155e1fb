import { expect } from 'vitest';
import type { OutboundClient } from '../../../src/platform/net/index.js';
import { createPackageVerifier } from '../../../src/registry/ownership/index.js';
import type { Package, PackageVerifierOptions } from '../../../src/registry/ownership/index.js';
import { fakeVerifierOptions } from './fake-registries.js';
import type { FakeRegistries } from './fake-registries.js';

export const SERVER_NAME = 'io.github.acme/weather';

/**
 * Returns a function that verifies one package against the fake and yields the failure without the verifier's
 * `registry validation failed for package 0 (<identifier>): ` prefix (asserting the prefix is there), or null.
 */
export function checker(fake: FakeRegistries, client: OutboundClient, extra: Partial<PackageVerifierOptions> = {}) {
  const verifier = createPackageVerifier({ enabled: true, client, ...fakeVerifierOptions(fake), ...extra });
  return async (pkg: Package, name = SERVER_NAME): Promise<string | null> => {
    const problem = await verifier.verify({ name, packages: [pkg] });
    if (problem === null) return null;
    const prefix = `registry validation failed for package 0 (${pkg.identifier}): `;
    expect(problem.startsWith(prefix)).toBe(true);
    return problem.slice(prefix.length);
  };
}
