/** The registry's wire shapes, as far as the UI reads them. Everything here is untrusted input. */
export interface Input {
  description?: string;
  isRequired?: boolean;
  isSecret?: boolean;
  format?: string;
  value?: string;
  default?: string;
  placeholder?: string;
  choices?: string[];
  variables?: Record<string, Input>;
}

export interface KeyValueInput extends Input {
  name: string;
}

export interface Argument extends Input {
  type: string;
  name?: string;
  valueHint?: string;
  isRepeated?: boolean;
}

export interface Transport {
  type: string;
  url?: string;
  headers?: KeyValueInput[];
  variables?: Record<string, Input>;
}

export interface Package {
  registryType: string;
  registryBaseUrl?: string;
  identifier: string;
  version?: string;
  runtimeHint?: string;
  transport: Transport;
  runtimeArguments?: Argument[];
  packageArguments?: Argument[];
  environmentVariables?: KeyValueInput[];
}

export interface Icon {
  src: string;
  mimeType?: string;
  sizes?: string[];
  theme?: 'light' | 'dark';
}

export interface ServerJson {
  name: string;
  title?: string;
  description?: string;
  version: string;
  websiteUrl?: string;
  repository?: { url?: string; source?: string; subfolder?: string };
  icons?: Icon[];
  remotes?: Transport[];
  packages?: Package[];
}

export interface OfficialMeta {
  status: 'active' | 'deprecated' | 'deleted';
  statusMessage?: string;
  publishedAt: string;
  updatedAt?: string;
  isLatest: boolean;
}

export interface HealthMeta {
  status: 'passing' | 'warning' | 'critical' | 'unknown';
  checkedAt?: string;
  latencyMs?: number;
  protocolVersion?: string;
  uptime24h?: number;
}

export interface ServerResponse {
  server: ServerJson;
  _meta: {
    'io.modelcontextprotocol.registry/official'?: OfficialMeta;
    'dev.wharf/health'?: HealthMeta;
    [key: string]: unknown;
  };
}

export interface ServerList {
  servers: ServerResponse[];
  metadata: { nextCursor?: string; count: number };
}

export const OFFICIAL = 'io.modelcontextprotocol.registry/official';
export const HEALTH = 'dev.wharf/health';
