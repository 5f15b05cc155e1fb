import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  OutboundError,
  OutboundBlockedError,
  OutboundNetworkError,
  OutboundRedirectError,
  OutboundTimeoutError,
  OutboundTooLargeError,
  OutboundUrlError,
  createOutboundClient,
} from '../../../src/platform/net/index.js';
import type { OutboundClient, OutboundClientOptions } from '../../../src/platform/net/index.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface LocalServer {
  url: string;
  port: number;
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function startServer(handler: Handler): Promise<LocalServer> {
  const requests: LocalServer['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const big = Buffer.alloc(2 * 1024 * 1024, 'a');
let other: LocalServer;
let main: LocalServer;

beforeAll(async () => {
  other = await startServer((_req, res) => res.end('other'));
  main = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    switch (url.pathname) {
      case '/hello':
        res.end(`hello ${req.headers['user-agent'] ?? ''}`);
        return;
      case '/redirect':
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: to ?? '/hello' });
        res.end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        res.end();
        return;
      case '/big':
        res.writeHead(200, { 'content-length': String(big.length) });
        res.end(big);
        return;
      case '/big-chunked':
        res.write(big.subarray(0, 700_000));
        res.write(big.subarray(700_000, 1_400_000));
        res.end(big.subarray(1_400_000));
        return;
      case '/hang':
        return; // never answers
      case '/slow-body':
        res.writeHead(200);
        res.write('partial');
        return; // never finishes the body
      case '/echo':
        res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null }));
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
});

afterAll(async () => {
  await main.close();
  await other.close();
});

const clients: OutboundClient[] = [];
function client(overrides: Partial<OutboundClientOptions> = {}): OutboundClient {
  const c = createOutboundClient({
    allowPrivateNetworks: false,
    userAgent: 'wharf-test/1',
    timeoutMs: 2_000,
    ...overrides,
  });
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('address policy', () => {
  it.each([
    (p: number) => `http://127.0.0.1:${p}/hello`,
    (p: number) => `http://[::1]:${p}/hello`,
    (p: number) => `http://[::ffff:127.0.0.1]:${p}/hello`,
    (p: number) => `http://[::ffff:7f00:1]:${p}/hello`,
    () => 'http://169.254.169.254/latest/meta-data/',
    () => 'http://10.0.0.1/',
    () => 'http://[fd00::1]/',
    () => 'http://[fe80::1]/',
    () => 'http://0.0.0.0/',
    () => 'http://2130706433/', // 127.0.0.1 written as one number
  ])('refuses literal IP #%#', async (make) => {
    const err = await client()
      .fetch(make(main.port))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundBlockedError);
    expect((err as Error).message).toContain('WHARF_ALLOW_PRIVATE_NETWORKS=true');
  });

  it('refuses localhost by name and names the host', async () => {
    const err = await client()
      .fetch(`http://localhost:${main.port}/hello`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundBlockedError);
    expect((err as Error).message).toMatch(/^refusing to connect to localhost: it is a loopback address/);
  });

  it('checks the address the socket connects to, so a public-looking name resolving to loopback is refused', async () => {
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    const err = await client({ resolve })
      .fetch(`http://registry.example:${main.port}/hello`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundBlockedError);
    expect((err as OutboundBlockedError).address).toBe('127.0.0.1');
    expect((err as Error).message).toContain('registry.example (127.0.0.1)');
    expect(main.requests.some((r) => r.headers.host === `registry.example:${main.port}`)).toBe(false);
  });

  it('refuses a name whose answers mix public and private addresses', async () => {
    const resolve = async () => [
      { address: '8.8.8.8', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    const err = await client({ resolve })
      .fetch('http://mixed.example/')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundBlockedError);
    expect((err as OutboundBlockedError).address).toBe('10.0.0.7');
  });

  it('allows private targets when allowPrivateNetworks is set, connecting where the lookup said', async () => {
    const c = client({ allowPrivateNetworks: true, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    expect((await c.fetch(`http://localhost:${main.port}/hello`)).text()).toBe('hello wharf-test/1');
    expect((await c.fetch(`http://[::ffff:127.0.0.1]:${main.port}/hello`)).status).toBe(200);
    const viaName = await c.fetch(`http://registry.example:${main.port}/hello`);
    expect(viaName.status).toBe(200);
  });

  it('allows explicitly listed addresses only', async () => {
    const c = client({ allowAddresses: ['127.0.0.1/32'] });
    expect((await c.fetch(`${main.url}/hello`)).status).toBe(200);
    await expect(c.fetch('http://127.0.0.2/')).rejects.toBeInstanceOf(OutboundBlockedError);
  });

  it('refuses schemes other than http and https, and embedded credentials', async () => {
    await expect(client().fetch('file:///etc/passwd')).rejects.toBeInstanceOf(OutboundUrlError);
    await expect(client().fetch('ftp://example.com/')).rejects.toBeInstanceOf(OutboundUrlError);
    await expect(client().fetch('http://user:pw@example.com/')).rejects.toBeInstanceOf(OutboundUrlError);
    await expect(client().fetch('not a url')).rejects.toBeInstanceOf(OutboundUrlError);
  });
});

describe('webFetch (the WHATWG fetch handed to the MCP SDK transports)', () => {
  it('refuses what fetch refuses, before connecting', async () => {
    for (const url of [`http://localhost:${main.port}/hello`, `http://127.0.0.1:${main.port}/hello`, 'ftp://x/']) {
      await expect(client().webFetch(url)).rejects.toBeInstanceOf(OutboundError);
    }
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(client({ resolve }).webFetch(`http://registry.example:${main.port}/hello`)).rejects.toThrow(
      /fetch failed/,
    );
  });

  it('sends method, headers and body, and returns redirects unfollowed', async () => {
    const c = client({ allowPrivateNetworks: true });
    const echoed = await c.webFetch(`${main.url}/echo`, {
      method: 'POST',
      headers: { authorization: 'Bearer t' },
      body: '{}',
    });
    expect(echoed.status).toBe(200);
    expect(await echoed.json()).toEqual({ method: 'POST', auth: 'Bearer t' });
    const redirect = await c.webFetch(`${main.url}/redirect?status=307`);
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe('/hello');
  });
});

describe('redirects', () => {
  // 127.0.0.1 is allow-listed so the first hop is reachable; every redirect target is judged by the real policy.
  const guarded = (): OutboundClient => client({ allowAddresses: ['127.0.0.1'] });

  it.each(['http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/admin', 'http://[::1]/', 'http://localhost/'])(
    'refuses a redirect to %s',
    async (target) => {
      const err = await guarded()
        .fetch(`${main.url}/redirect?to=${encodeURIComponent(target)}`)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutboundBlockedError);
    },
  );

  it('refuses a redirect to a name that resolves to a private address', async () => {
    const resolve = async () => [{ address: '192.168.1.20', family: 4 }];
    const err = await client({ allowAddresses: ['127.0.0.1'], resolve })
      .fetch(`${main.url}/redirect?to=${encodeURIComponent('http://intranet.example/')}`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundBlockedError);
    expect((err as Error).message).toContain('intranet.example (192.168.1.20)');
  });

  it('follows allowed redirects and reports the final URL', async () => {
    const res = await guarded().fetch(`${main.url}/redirect?to=/hello`);
    expect(res.status).toBe(200);
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`${main.url}/hello`);
  });

  it("supports redirect: 'manual' and 'error'", async () => {
    const manual = await guarded().fetch(`${main.url}/redirect?to=/hello`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe('/hello');
    await expect(guarded().fetch(`${main.url}/redirect`, { redirect: 'error' })).rejects.toBeInstanceOf(
      OutboundRedirectError,
    );
  });

  it('stops redirect loops', async () => {
    const err = await client({ allowAddresses: ['127.0.0.1'], maxRedirects: 3 })
      .fetch(`${main.url}/loop`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRedirectError);
    expect((err as Error).message).toContain('stopped after 3 redirects');
  });

  it('lets the caller veto a hop', async () => {
    const err = await guarded()
      .fetch(`${main.url}/redirect?to=/hello`, { checkRedirect: (next) => `no thanks: ${next.pathname}` })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRedirectError);
    expect((err as Error).message).toBe('no thanks: /hello');
  });

  it('drops Authorization on a cross-origin hop but keeps it on the same origin', async () => {
    const c = guarded();
    const headers = { authorization: 'Bearer secret' };
    const same = await c.fetch(`${main.url}/redirect?to=/echo`, { headers });
    expect(same.json()).toEqual({ method: 'GET', auth: 'Bearer secret' });
    await c.fetch(`${main.url}/redirect?to=${encodeURIComponent(`${other.url}/x`)}`, { headers });
    expect(other.requests.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('turns a POST answered with 303 into a GET', async () => {
    const res = await guarded().fetch(`${main.url}/redirect?status=303&to=/echo`, { method: 'POST', body: 'x=1' });
    expect(res.json()).toEqual({ method: 'GET', auth: null });
  });
});

describe('limits', () => {
  const local = (overrides: Partial<OutboundClientOptions> = {}): OutboundClient =>
    client({ allowPrivateNetworks: true, ...overrides });

  it('refuses a body larger than maxBytes (declared length)', async () => {
    const err = await local()
      .fetch(`${main.url}/big`, { maxBytes: 1024 * 1024 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundTooLargeError);
    expect((err as Error).message).toContain('1048576-byte limit');
  });

  it('aborts a streamed body once it passes maxBytes', async () => {
    const err = await local({ maxBytes: 1024 * 1024 })
      .fetch(`${main.url}/big-chunked`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundTooLargeError);
  });

  it('reads bodies within the cap', async () => {
    const res = await local().fetch(`${main.url}/big`, { maxBytes: 4 * 1024 * 1024 });
    expect(res.body.length).toBe(big.length);
  });

  it('times out a server that never answers', async () => {
    const started = Date.now();
    const err = await local({ timeoutMs: 200 })
      .fetch(`${main.url}/hang`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundTimeoutError);
    expect((err as Error).message).toBe(`request to 127.0.0.1:${main.port} timed out after 200 ms`);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a body that never finishes', async () => {
    const err = await local()
      .fetch(`${main.url}/slow-body`, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundTimeoutError);
  });

  it('reports refused connections as network errors', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const err = await local()
      .fetch(`${closed.url}/`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundNetworkError);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('passes a caller abort through unchanged', async () => {
    const controller = new AbortController();
    const pending = local().fetch(`${main.url}/hang`, { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
  });

  it('skips the body of HEAD responses', async () => {
    const res = await local().fetch(`${main.url}/big`, { method: 'HEAD', maxBytes: 10 });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
  });
});
