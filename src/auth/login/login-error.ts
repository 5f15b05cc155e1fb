import type { Permission } from '../permissions.js';

/** Who a login method proved the caller to be, and what that identity may do. */
export interface LoginIdentity {
  /** `auth_method` claim: `github-at`, `github-oidc`, `oidc`, `dns`, `http`. */
  method: string;
  /** `auth_method_sub` claim: GitHub login, OIDC `sub`, or the domain. */
  subject: string;
  permissions: Permission[];
}

/**
 * A refused login. `detail` is the official 401 title for the method (`Token exchange failed`, `DNS authentication
 * failed`, …) and `reason` the cause the official registry puts into `errors[0].message`; when `hideReason` is set
 * (GitHub access tokens, whose causes may echo upstream bodies) the reason is only logged and audited.
 */
export class LoginDenied extends Error {
  override name = 'LoginDenied';

  constructor(
    readonly detail: string,
    readonly reason: string,
    /** The identity the caller claimed, when known (a domain), for the audit trail. */
    readonly claimedSubject?: string,
    readonly hideReason = false,
  ) {
    super(`${detail}: ${reason}`);
  }
}
