import type { McpHost } from '../mcp/host.js';
import { buildInfo } from '../version.js';
import type { Wharf } from '../wharf.js';
import { openGatewayAccess } from './access.js';
import type { GatewayAccess } from './access.js';
import { GatewayFederation } from './federation.js';

/**
 * The federation behind `/mcp`: upstreams from the database, their tools as a dynamic provider of the host,
 * list changes pushed to the host's subscribers. `access` is the policy seam (the app passes the access layer).
 */
export async function createGatewayFederation(
  wharf: Wharf,
  host: McpHost,
  access: GatewayAccess = openGatewayAccess,
): Promise<GatewayFederation> {
  const federation = new GatewayFederation({
    logger: wharf.logger,
    timeouts: { connectMs: wharf.config.gatewayConnectTimeoutMs, callMs: wharf.config.gatewayCallTimeoutMs },
    allowPrivateNetworks: wharf.config.allowPrivateNetworks,
    access,
    clientInfo: { name: 'wharf-gateway', version: buildInfo.version.replace(/^v/, '') },
    loadTargets: () => wharf.gateway.targets(),
    loadVirtualServers: () => wharf.virtualServers.definitions(),
    notifyToolsChanged: () => host.notifyToolsChanged(),
    notifyResourceUpdated: (uri) => host.notifyResourceUpdated(uri),
    passthroughAliases: new Set(wharf.config.gatewayPassthroughAliases),
    legacyAliases: new Set(wharf.config.gatewayLegacyAliases),
  });
  host.register(federation.provider());
  if (wharf.config.gatewayForwardCalls) {
    const forwarding = federation.callForwarding();
    host.forwardToolCalls((call) => forwarding.forward(call));
  }
  // Registered instances came, went or changed state: reconnect where the endpoints hook now points.
  wharf.gateway.onEndpointsChange(() => {
    federation
      .sync()
      .catch((err: unknown) => wharf.logger.error({ err }, 'gateway resync after an instance change failed'));
  });
  // Connections open lazily, on the first request that needs the merged list; reading the set is enough here.
  await federation.sync();
  return federation;
}
