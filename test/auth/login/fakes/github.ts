import { FakeHttpServer, sendJson } from './http-server.js';

export interface FakeGitHubUser {
  login: string;
  memberships?: Array<{ org: string; role: 'admin' | 'member'; state?: 'active' | 'pending' }>;
  /** How `/user/memberships/orgs` answers a token without `read:org`. */
  orgsForbidden?: 'scope' | 'rate-limit' | 'sso';
}

/** A fake GitHub REST API: `GET /user` and `GET /user/memberships/orgs` (paged), keyed by bearer token. */
export class FakeGitHub extends FakeHttpServer {
  readonly tokens = new Map<string, FakeGitHubUser>();

  constructor() {
    super();
    this.handle = (req, res) => {
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
