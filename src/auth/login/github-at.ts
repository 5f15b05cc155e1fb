import type { OutboundClient, OutboundResponse } from '../../platform/net/index.js';
import type { Permission } from '../permissions.js';
import { LoginDenied } from './login-error.js';
import type { LoginIdentity } from './login-error.js';

/** GitHub logins and org names are letters, digits and hyphens; anything else grants nothing (as official). */
export const GITHUB_NAME = /^[a-zA-Z0-9-]+$/;
const PAGE_SIZE = 100;
/** 10,000 memberships: beyond any real user; a backstop against a misbehaving upstream, failing closed. */
const MAX_PAGES = 100;
const MAX_BYTES = 2 * 1024 * 1024;

interface Membership {
  state?: unknown;
  role?: unknown;
  organization?: { login?: unknown };
}

/**
 * `auth/github-at`: a GitHub access token → `publish io.github.<login>/*`, plus `io.github.<org>/*` for every org
 * where the user is an active Owner (membership role `admin`), as official v1.8 (#1383). Ordinary org members get
 * only their personal namespace, so a member cannot overwrite the org's servers.
 */
export class GitHubAccessTokenLogin {
  constructor(
    private readonly client: OutboundClient,
    /** `WHARF_GITHUB_API_URL`, without a trailing slash. */
    private readonly apiUrl: string,
  ) {}

  async exchange(githubToken: string): Promise<LoginIdentity> {
    try {
      const login = await this.user(githubToken);
      const orgs = await this.adminOrgs(githubToken);
      return { method: 'github-at', subject: login, permissions: githubPermissions(login, orgs) };
    } catch (error) {
      // The official registry answers a bare 401 here: causes can carry upstream response details.
      throw new LoginDenied('Token exchange failed', (error as Error).message, undefined, true);
    }
  }

  private get(token: string, path: string): Promise<OutboundResponse> {
    return this.client.fetch(`${this.apiUrl}${path}`, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.github.v3+json',
        'x-github-api-version': '2022-11-28',
      },
      maxBytes: MAX_BYTES,
    });
  }

  private async user(token: string): Promise<string> {
    const response = await this.get(token, '/user').catch((error: Error) => {
      throw new Error(`failed to get GitHub user: ${error.message}`);
    });
    if (response.status !== 200)
      throw new Error(`failed to get GitHub user: GitHub API error (status ${response.status})`);
    const login = (parseJson(response) as { login?: unknown } | undefined)?.login;
    if (typeof login !== 'string') throw new Error('failed to get GitHub user: the response has no login');
    return login;
  }

  private async adminOrgs(token: string): Promise<string[]> {
    const orgs: string[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const response = await this.get(
        token,
        `/user/memberships/orgs?state=active&per_page=${PAGE_SIZE}&page=${page}`,
      ).catch((error: Error) => {
        throw new Error(`failed to get GitHub organizations: ${error.message}`);
      });
      if (response.status === 403) {
        // 403 means a token without read:org (personal publishing still works) unless GitHub says it is a rate
        // limit or an SSO block: then an Owner would silently lose the org grant, so fail closed instead.
        if (response.headers.get('x-ratelimit-remaining') === '0' || response.headers.get('retry-after')) {
          throw new Error('GitHub API rate limit exceeded while listing org memberships (status 403)');
        }
        if (response.headers.get('x-github-sso')) {
          throw new Error('GitHub org memberships require SSO authorization for this token (status 403)');
        }
        return [];
      }
      if (response.status !== 200) {
        throw new Error(`failed to get GitHub organizations: GitHub API error (status ${response.status})`);
      }
      const memberships = parseJson(response);
      if (!Array.isArray(memberships)) throw new Error('failed to decode organization memberships response');
      for (const m of memberships as Membership[]) {
        const login = m.organization?.login;
        if (m.state === 'active' && m.role === 'admin' && typeof login === 'string') orgs.push(login);
      }
      if (memberships.length < PAGE_SIZE) return orgs;
    }
    throw new Error(`org memberships exceeded ${MAX_PAGES} pages; refusing to issue a possibly-truncated grant`);
  }
}

function parseJson(response: OutboundResponse): unknown {
  try {
    return response.json();
  } catch {
    return undefined;
  }
}

/** Personal namespace plus one per administered org; an invalid own login grants nothing, an invalid org is skipped. */
export function githubPermissions(login: string, orgs: readonly string[]): Permission[] {
  if (!GITHUB_NAME.test(login)) return [];
  return [login, ...orgs.filter((org) => GITHUB_NAME.test(org))].map((name) => ({
    action: 'publish' as const,
    resource: `io.github.${name}/*`,
  }));
}
