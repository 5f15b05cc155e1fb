import { forbidden } from '../platform/errors.js';
import type { Principal } from './authenticator.js';
import { hasPermission } from './permissions.js';
import type { Action } from './permissions.js';

/**
 * The one permission check every write goes through (publish, edit, status, delete, keys, and later
 * instances and contexts): the caller needs at least one of `actions` on `resource`, else the given
 * official 403 text. Keeping it in one place means a new endpoint cannot quietly skip or vary it.
 */
export function authorize(
  principal: Principal,
  actions: Action | readonly Action[],
  resource: string,
  deniedMessage: string | ((principal: Principal) => string),
): void {
  const wanted = typeof actions === 'string' ? [actions] : actions;
  if (wanted.some((action) => hasPermission(principal.permissions, action, resource))) return;
  throw forbidden(typeof deniedMessage === 'function' ? deniedMessage(principal) : deniedMessage);
}

/** Global administration (API keys, the audit log): `admin` on `*`. */
export const GLOBAL = '*';
export const ADMIN_ONLY_MESSAGE =
  'Only administrators (admin permission on *) can manage API keys and read the audit log';

export function isGlobalAdmin(principal: Principal): boolean {
  return principal.permissions.some((p) => p.action === 'admin' && p.resource === GLOBAL);
}
