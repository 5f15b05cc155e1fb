import { readImageLabels } from './oci-client.js';
import { isDockerHub, parseOciReference, registryAllowed } from './oci-reference.js';
import type { RegistryStrategy, StrategyDeps } from './types.js';

/** The registries the official registry accepts images from. */
export const DEFAULT_OCI_REGISTRIES: readonly string[] = [
  'docker.io',
  'registry-1.docker.io',
  'index.docker.io',
  'ghcr.io',
  'quay.io',
  'mcr.microsoft.com',
  '*.pkg.dev',
  '*.azurecr.io',
];

export const OCI_LABEL = 'io.modelcontextprotocol.server.name';

/** Docker Hub predates the distribution spec's naming: its API lives on another host than its image names say. */
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export interface OciStrategyOptions {
  /** Registry hosts accepted in identifiers; `*.example.com` entries match subdomains. */
  registries: readonly string[];
  /** Budget for the whole exchange (token, manifests, config); the official validator allows 30 s. */
  timeoutMs: number;
}

/**
 * OCI: the image config of a public image must carry the label `io.modelcontextprotocol.server.name=<server name>`.
 * The identifier is the canonical reference (`ghcr.io/acme/weather:1.2.0`); `registryBaseUrl`, `version` and
 * `fileSha256` are refused because the reference already says everything.
 */
export function createOciStrategy(deps: StrategyDeps, options: OciStrategyOptions): RegistryStrategy {
  return {
    registryType: 'oci',
    async verify(pkg, serverName) {
      const id = pkg.identifier;
      if (!id) return 'package identifier is required for OCI packages';
      if (pkg.registryBaseUrl) {
        return "OCI packages must not have 'registryBaseUrl' field - use canonical reference in 'identifier' instead (e.g., 'docker.io/owner/image:1.0.0')";
      }
      if (pkg.version) {
        return "OCI packages must not have 'version' field - include version in 'identifier' instead (e.g., 'docker.io/owner/image:1.0.0')";
      }
      if (pkg.fileSha256) return "OCI packages must not have 'fileSha256' field";

      const ref = parseOciReference(id);
      if ('error' in ref) return `invalid OCI reference: ${ref.error}`;
      if (!registryAllowed(ref.registry, options.registries)) return `unsupported OCI registry: ${ref.registry}`;

      const apiHost = isDockerHub(ref.registry) ? DOCKER_HUB_API_HOST : ref.registry.toLowerCase();
      const apiBase = (deps.originFor(apiHost) ?? `https://${apiHost}`).replace(/\/+$/, '');
      const outcome = await readImageLabels(deps.client, apiBase, ref, Date.now() + options.timeoutMs);

      switch (outcome.kind) {
        case 'timeout':
          return `OCI image validation timed out after ${options.timeoutMs / 1000} seconds for '${id}'. The registry may be slow or unreachable`;
        case 'error':
          return `failed to fetch OCI image: ${outcome.message}`;
        case 'status':
          if (outcome.status === 404) return `OCI image '${id}' does not exist in the registry`;
          if (outcome.status === 401 || outcome.status === 403) {
            return `OCI image '${id}' is private or requires authentication. Only public images are supported`;
          }
          // Fail closed (upstream changed this after v1.7.0): skipping the proof under load would let anyone claim
          // an image just by publishing while the registry throttles.
          if (outcome.status === 429) {
            return `OCI image '${id}' could not be verified because the registry is rate limiting requests (status: 429). Retry later`;
          }
          return `failed to fetch OCI image: unexpected status ${outcome.status} from ${apiHost}`;
        case 'labels': {
          const label = outcome.labels[OCI_LABEL];
          if (label === undefined) {
            return `OCI image '${id}' is missing required annotation. Add this to your Dockerfile: LABEL ${OCI_LABEL}="${serverName}"`;
          }
          if (label !== serverName) {
            return `OCI image ownership validation failed. Expected annotation '${OCI_LABEL}' = '${serverName}', got '${String(label)}'`;
          }
          return null;
        }
      }
    },
  };
}
