/**
 * The deprecated HTTP+SSE transport (2024-11-05) for old clients: `GET /sse` opens a stream whose first event names
 * the `/messages?sessionId=…` URL; each message POSTed there is answered `202 Accepted` and its response arrives on
 * the stream. Underneath, every message is served by the same MCP host as `/mcp` (its 2025-era session included), so
 * these clients see exactly the same tools. The stream, and therefore the session, lives on the process that
 * opened it: this transport cannot be served without affinity, which is one reason it was deprecated.
 */
import { randomBytes } from 'node:crypto';
import type { McpCaller, McpHost } from '../mcp/host.js';
import type { Principal } from '../auth/authenticator.js';

interface SseSession {
  subject: string | null;
  /** Aborted when the stream closes: work for a session ends with it (not with the POST, answered at once). */
  lifetime: AbortSignal;
  write(chunk: string): void;
  close(): void;
  /** The `/mcp` session id that `initialize` returned, sent on every later message. */
  mcpSessionId?: string | undefined;
  protocolVersion?: string | undefined;
}

const encoder = new TextEncoder();
const MAX_SESSIONS = 10_000;

export class LegacySseBridge {
  private readonly sessions = new Map<string, SseSession>();

  constructor(
    private readonly host: McpHost,
    private readonly options: { keepAliveMs?: number; messagesPath?: string } = {},
  ) {}

  /** GET /sse */
  open(request: Request, principal: Principal | null): Response {
    if (this.sessions.size >= MAX_SESSIONS) return new Response('Too many open SSE sessions', { status: 503 });
    const id = randomBytes(16).toString('base64url');
    const keepAliveMs = this.options.keepAliveMs ?? 15_000;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let closed = false;
        const lifetime = new AbortController();
        const timer = setInterval(() => session.write(': keepalive\n\n'), keepAliveMs);
        timer.unref();
        const session: SseSession = {
          subject: principal?.subject ?? null,
          lifetime: lifetime.signal,
          write: (chunk) => {
            if (closed) return;
            try {
              controller.enqueue(encoder.encode(chunk));
            } catch {
              session.close();
            }
          },
          close: () => {
            if (closed) return;
            closed = true;
            clearInterval(timer);
            lifetime.abort();
            this.sessions.delete(id);
            try {
              controller.close();
            } catch {
              // The reader went away first.
            }
          },
        };
        this.sessions.set(id, session);
        request.signal.addEventListener('abort', () => session.close(), { once: true });
        session.write(`event: endpoint\ndata: ${this.options.messagesPath ?? '/messages'}?sessionId=${id}\n\n`);
      },
      cancel: () => this.sessions.get(id)?.close(),
    });
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    });
  }

  /** POST /messages?sessionId=… */
  async post(request: Request, body: Buffer, caller: McpCaller): Promise<Response> {
    const id = new URL(request.url).searchParams.get('sessionId');
    const session = id === null ? undefined : this.sessions.get(id);
    if (!session || session.subject !== (caller.principal?.subject ?? null)) {
      return new Response('Unknown sessionId: open GET /sse first and post to the URL its endpoint event names', {
        status: 404,
      });
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (session.mcpSessionId) headers['mcp-session-id'] = session.mcpSessionId;
    if (session.protocolVersion) headers['mcp-protocol-version'] = session.protocolVersion;
    const authorization = request.headers.get('authorization');
    if (authorization) headers.authorization = authorization;
    const inner = new Request(new URL('/mcp', request.url), { method: 'POST', headers, signal: session.lifetime });
    // Answered at once, as the transport requires; the host's answer follows on the stream.
    void this.relay(session, inner, body, caller);
    return new Response('Accepted', { status: 202 });
  }

  closeAll(): void {
    for (const session of [...this.sessions.values()]) session.close();
  }

  private async relay(session: SseSession, request: Request, body: Buffer, caller: McpCaller): Promise<void> {
    const response = await this.host.handle({ request, body }, caller);
    const sessionId = response.headers.get('mcp-session-id');
    if (sessionId && !session.mcpSessionId) session.mcpSessionId = sessionId;
    const text = await response.text();
    if (text === '') return;
    const messages = response.headers.get('content-type')?.startsWith('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data: ') && line.length > 6)
          .map((line) => line.slice(6))
      : [text];
    for (const message of messages) {
      session.protocolVersion ??= negotiatedVersion(message);
      session.write(`event: message\ndata: ${message}\n\n`);
    }
  }
}

/** The protocol version an initialize result carries, if this message is one. */
function negotiatedVersion(text: string): string | undefined {
  try {
    const message = JSON.parse(text) as { result?: { protocolVersion?: unknown; serverInfo?: unknown } };
    const version = message.result?.protocolVersion;
    return typeof version === 'string' && message.result?.serverInfo !== undefined ? version : undefined;
  } catch {
    return undefined;
  }
}
