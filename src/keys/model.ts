import type { Permission } from '../auth/permissions.js';

/** An API key as stored and shown: never the key itself, only its id (which the key carries in clear). */
export interface ApiKey {
  id: string;
  name: string;
  description: string | null;
  permissions: Permission[];
  createdAt: string;
  /** `<auth method>:<subject>` of whoever created it. */
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedAt: string | null;
}

export interface NewApiKey {
  name: string;
  description?: string | undefined;
  permissions: Permission[];
  expiresAt?: string | undefined;
}

/** Keys are `wharf_<id>_<secret>`: the id identifies a key in lists and logs, the secret is 256 random bits. */
export const KEY_PREFIX = 'wharf_';
export const KEY_PATTERN = /^wharf_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
