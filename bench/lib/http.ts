/**
 * Minimal HTTP client over node:http for the bench's own requests (fetching bytes, walking cursors, sequential latency
 * measurements). One keep-alive socket per agent, so that sequential timings measure the server, not TCP set-up.
 * Every request is bounded by a timeout, and only loopback is allowed.
 */
import http from 'node:http';
import net from 'node:net';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Wall time from sending the request to the last body byte, in milliseconds. */
  ms: number;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: http.Agent;
  timeoutMs?: number;
}

export function assertLoopback(url: string): URL {
  const parsed = new URL(url);
  if (parsed.hostname !== '127.0.0.1') throw new Error(`the bench only sends traffic to 127.0.0.1, not to ${url}`);
  return parsed;
}

export const sequentialAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

export function request(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
  const target = assertLoopback(url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      target,
      {
        method: options.method ?? 'GET',
        agent: options.agent ?? sequentialAgent,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 30_000} ms: ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function getJson<T>(
  url: string,
  options: RequestOptions = {},
): Promise<{ response: HttpResponse; json: T }> {
  const response = await request(url, options);
  if (response.status !== 200) {
    throw new Error(`GET ${url} answered ${response.status}: ${response.body.toString().slice(0, 500)}`);
  }
  return { response, json: JSON.parse(response.body.toString()) as T };
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
