import { FakeHttpServer, sendJson } from './http-server.js';

export interface FakeGitHubUser {
  login: string;
  memberships?: Array<{ org: string; role: 'admin' | 'member'; state?: 'active' | 'pending' }>;
  /** How `/user/memberships/orgs` answers a token without `read:org`. */
  orgsForbidden?: 'scope' | 'rate-limit' | 'sso';
}

export const FAKE_CLIENT_ID = 'Iv1.wharf-test';

/**
 * A fake GitHub: REST `GET /user` and `GET /user/memberships/orgs` (paged), keyed by bearer token, and the OAuth
 * device flow (`/login/device/code`, `/login/oauth/access_token`).
 */
export class FakeGitHub extends FakeHttpServer {
  readonly tokens = new Map<string, FakeGitHubUser>();
  /** What the device flow hands out once approved. */
  deviceToken = 'gho_device';
  devicePolls = 0;

  constructor() {
    super();
    this.handle = (req, res, body) => {
      if (req.url === '/login/device/code') {
        const form = new URLSearchParams(body);
        if (form.get('client_id') !== FAKE_CLIENT_ID) return sendJson(res, 400, { error: 'bad_client' });
        return sendJson(res, 200, {
          device_code: 'dev-123',
          user_code: 'ABCD-1234',
          verification_uri: `${this.url}/login/device`,
          interval: 0,
          expires_in: 60,
        });
      }
      if (req.url === '/login/oauth/access_token') {
        // Pending once, as when the user has not approved yet, then the token.
        this.devicePolls += 1;
        if (this.devicePolls === 1) return sendJson(res, 200, { error: 'authorization_pending' });
        return sendJson(res, 200, { access_token: this.deviceToken, token_type: 'bearer' });
      }
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const user = token ? this.tokens.get(token) : undefined;
      if (!user) return sendJson(res, 401, { message: 'Bad credentials' });
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/user') return sendJson(res, 200, { login: user.login, id: 1 });
      if (url.pathname === '/user/memberships/orgs') {
        if (user.orgsForbidden === 'scope') return sendJson(res, 403, { message: 'Resource not accessible' });
        if (user.orgsForbidden === 'rate-limit') {
          return sendJson(res, 403, { message: 'rate limit' }, { 'x-ratelimit-remaining': '0' });
        }
        if (user.orgsForbidden === 'sso') return sendJson(res, 403, { message: 'sso' }, { 'x-github-sso': 'required' });
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        const all = (user.memberships ?? []).map((m) => ({
          state: m.state ?? 'active',
          role: m.role,
          organization: { login: m.org, id: 2 },
        }));
        return sendJson(res, 200, all.slice((page - 1) * perPage, page * perPage));
      }
      return sendJson(res, 404, { message: 'Not Found' });
    };
  }
}
