/**
 * Request generator for the heartbeats scenario, loaded inside the load-generator child (bench/lib/load-child.ts):
 * every connection cycles through PUT /api/v1/instances/{id}/heartbeat of all registered instances, each with its
 * own instance token.
 */
import type autocannon from 'autocannon';

export interface HeartbeatParams {
  instances: { id: string; token: string }[];
}

export function heartbeatRequests(params: HeartbeatParams): autocannon.Request[] {
  return params.instances.map(({ id, token }) => ({
    method: 'PUT',
    path: `/api/v1/instances/${id}/heartbeat`,
    headers: { authorization: `Bearer ${token}` },
  }));
}
