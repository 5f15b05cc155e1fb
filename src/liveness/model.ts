/** The liveness vocabulary shared by its stores, services and routes. */
export const INSTANCE_STATES = ['passing', 'critical'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

export const HEALTH_STATUSES = ['passing', 'warning', 'critical'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
/** What the server list filter accepts: a status, or `unknown` for servers never probed. */
export type HealthFilter = HealthStatus | 'unknown';

export const INSTANCE_TRANSPORTS = ['streamable-http', 'sse'] as const;
export type InstanceTransport = (typeof INSTANCE_TRANSPORTS)[number];

export interface InstanceMetadata {
  region?: string;
  version?: string;
  tags?: string[];
  [key: string]: unknown;
}

/** A registered running instance of a registry server, as stored. */
export interface Instance {
  id: string;
  server: string;
  url: string;
  transport: InstanceTransport;
  metadata: InstanceMetadata;
  state: InstanceState;
  statusNote: string | null;
  ttlSeconds: number;
  registeredAt: string;
  stateChangedAt: string;
  /** The durable lease deadline; heartbeats held in memory may be fresher. */
  leaseExpiresAt: string;
  registeredBy: string;
  tokenHash: string;
}

export interface RegisterRequest {
  server: string;
  url: string;
  transport?: InstanceTransport | undefined;
  metadata?: InstanceMetadata | undefined;
}

export interface Registration {
  id: string;
  token: string;
  ttlSeconds: number;
  heartbeatIntervalSeconds: number;
}

export interface InstanceListFilter {
  server?: string | undefined;
  state?: InstanceState | undefined;
  /** Id after which the page starts. */
  cursor?: string | undefined;
  limit: number;
}

/** What one probe of one target saw. */
export interface ProbeResult {
  status: HealthStatus;
  latencyMs: number;
  era?: 'modern' | 'legacy' | 'sse' | undefined;
  protocolVersion?: string | undefined;
  serverName?: string | undefined;
  serverVersion?: string | undefined;
  toolNames?: string[] | undefined;
  error?: string | undefined;
}

/** A probe target: one remote of the latest active version of a server, or one registered instance. */
export interface ProbeTarget {
  id: string;
  kind: 'remote' | 'instance';
  server: string;
  url: string;
  transport: InstanceTransport;
}

/** The current health of one target, as stored. */
export interface TargetHealth {
  targetId: string;
  kind: 'remote' | 'instance';
  server: string;
  url: string;
  transport: string;
  status: HealthStatus;
  statusSince: string;
  checkedAt: string;
  latencyMs: number | null;
  era: string | null;
  protocolVersion: string | null;
  reportedName: string | null;
  reportedVersion: string | null;
  toolCount: number | null;
  toolNames: string[] | null;
  lastError: string | null;
  consecutiveFailures: number;
  uptime24h: number | null;
}

export interface HealthTransition {
  targetId: string;
  at: string;
  from: HealthStatus | null;
  to: HealthStatus;
  error: string | null;
}

export interface HealthHour {
  targetId: string;
  hour: string;
  server: string;
  probes: number;
  passing: number;
  latencies: number[];
}

/** Wharf's `_meta` key for health in registry responses. */
export const HEALTH_META_KEY = 'dev.wharf/health';
