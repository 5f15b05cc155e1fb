/**
 * Child-process entry of the raw node:http baseline server (started by raw-server.ts, pinned to the server CPU).
 * It receives its configuration over IPC, listens on 127.0.0.1 and reports its port. Two modes:
 *  - fixed: every request gets the same status, headers and body bytes (the bytes Wharf answered a moment ago);
 *  - echo: the request body is read completely and sent back (the baseline for POST /v0/publish).
 * Nothing else happens per request: this is the ceiling that Wharf's figures are divided by.
 */
import http from 'node:http';

export type RawServerConfig =
  | { mode: 'fixed'; status: number; headers: Record<string, string>; bodyBase64: string }
  | { mode: 'echo'; status: number; headers: Record<string, string> };

export type RawServerMessage = { type: 'listening'; port: number } | { type: 'error'; message: string };

function start(config: RawServerConfig): void {
  let handler: http.RequestListener;
  if (config.mode === 'fixed') {
    const body = Buffer.from(config.bodyBase64, 'base64');
    const headers = { ...config.headers, 'content-length': String(body.length) };
    handler = (req, res) => {
      req.resume();
      res.writeHead(config.status, headers);
      res.end(body);
    };
  } else {
    handler = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(config.status, { ...config.headers, 'content-length': String(body.length) });
        res.end(body);
      });
    };
  }
  const server = http.createServer({ keepAliveTimeout: 72_000 }, handler);
  server.on('error', (error) => {
    process.send?.({ type: 'error', message: error.message } satisfies RawServerMessage);
    process.exit(1);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.send?.({ type: 'listening', port } satisfies RawServerMessage);
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

process.once('message', (message) => start(message as RawServerConfig));
// The parent going away (IPC channel closed) ends this process too.
process.once('disconnect', () => process.exit(0));
