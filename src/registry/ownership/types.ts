import type { OutboundClient } from '../../platform/net/outbound.js';

/**
 * The fields of a `server.json` package that ownership verification reads. Declared structurally here so this module
 * does not depend on the registry's model; any object with these fields (the full package type included) fits.
 */
export interface Package {
  registryType: string;
  registryBaseUrl?: string;
  identifier: string;
  version?: string;
  fileSha256?: string;
}

/** The part of a server a verifier needs: its name (the ownership claim) and its packages (the evidence). */
export interface ServerToVerify {
  name: string;
  packages?: readonly Package[];
}

/**
 * One package registry's rules: the static checks (base URL, required and forbidden fields) and the ownership proof.
 * Add a registry type by implementing this and registering the factory in `index.ts`
 * (see docs/extending/package-registries.md).
 */
export interface RegistryStrategy {
  /** The `registryType` value this strategy handles, e.g. `npm`. */
  readonly registryType: string;
  /**
   * Resolves to `null` when the package passes, otherwise to the failure in the official registry's wording, without
   * the `registry validation failed for package <i> (<identifier>): ` prefix the verifier adds.
   * Network trouble is a failure message too, never a rejection: rejections are reserved for bugs.
   */
  verify(pkg: Package, serverName: string): Promise<string | null>;
}

/** What every strategy factory receives. */
export interface StrategyDeps {
  /** The SSRF-guarded client; its address policy is what keeps a hostile `server.json` away from internal hosts. */
  client: OutboundClient;
  /** Budget per HTTP request (the official validators use 10 s). */
  timeoutMs: number;
  /** Returns the origin to contact instead of `host` (see `PackageVerifierOptions.originOverrides`), if any. */
  originFor(host: string): string | undefined;
  /** Milliseconds since the epoch; injectable so caches can be tested without waiting. */
  now(): number;
}
