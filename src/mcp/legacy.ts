/**
 * The 2025-11-25 side of the endpoint: sessions on top of the SDK's stateless legacy serving.
 *
 * SDK v2 serves 2025-era POSTs statelessly (a fresh server per request) and answers GET and DELETE with 405; its
 * sessionful transport keeps the session in one process's memory. Here a session is its signed id (sessions.ts):
 * `initialize` mints one, later requests present it (404 once it is unknown, expired, ended or someone else's),
 * GET opens the session's notification stream and DELETE ends it. Any process holding the key serves any request
 * except the GET stream itself, which lives on the process the client is connected to.
 */
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/authenticator.js';
import { SERVER_ERROR, SESSION_NOT_FOUND, jsonRpcError } from './jsonrpc.js';
import type { LegacySession, LegacySessions } from './sessions.js';

export interface LegacyEndpointOptions {
  sessions: LegacySessions;
  /** Serves one 2025-era POST statelessly (the SDK's fallback). */
  serve(request: Request, parsedBody: unknown, authInfo: AuthInfo | undefined): Promise<Response>;
  keepAliveMs: number;
}

interface OpenStream {
  write(chunk: string): void;
  close(): void;
}

const SESSION_HEADER = 'mcp-session-id';
const encoder = new TextEncoder();

export class LegacyEndpoint {
  /** GET streams open on this process, by session id (one per session: a message goes to one stream only). */
  private readonly streams = new Map<string, OpenStream>();

  constructor(private readonly options: LegacyEndpointOptions) {}

  async post(
    request: Request,
    body: unknown,
    authInfo: AuthInfo | undefined,
    principal: Principal | null,
  ): Promise<Response> {
    const initialize = initializeVersion(body);
    if (initialize !== undefined) {
      // A session id sent along is ignored: a client re-initializes after a 404 and gets a new one.
      const response = await this.options.serve(request, body, authInfo);
      if (response.status !== 200) return response;
      const version = SUPPORTED_PROTOCOL_VERSIONS.includes(initialize) ? initialize : LATEST_PROTOCOL_VERSION;
      const capabilities = (body as { params?: { capabilities?: unknown } }).params?.capabilities;
      response.headers.set(SESSION_HEADER, this.options.sessions.issue(version, principal, capabilities));
      return response;
    }
    const id = request.headers.get(SESSION_HEADER);
    if (id !== null) {
      const session = this.session(id, principal);
      if (session instanceof Response) return session;
      const mismatch = this.versionMismatch(request, session);
      if (mismatch) return mismatch;
    }
    // Without a session id the request is served statelessly, as the SDK does for stateless 2025 servers.
    return this.options.serve(request, body, authInfo);
  }

  /** GET: the session's stream of server notifications (list changes), kept open with comment lines. */
  openStream(request: Request, principal: Principal | null): Response {
    const id = request.headers.get(SESSION_HEADER);
    if (id === null) {
      return jsonRpcError(
        405,
        SERVER_ERROR,
        'GET opens the notification stream of a 2025-11-25 session: send the Mcp-Session-Id that initialize returned ' +
          '(2026-07-28 clients use subscriptions/listen over POST)',
        { headers: { allow: 'POST, DELETE' } },
      );
    }
    if (!request.headers.get('accept')?.includes('text/event-stream')) {
      return jsonRpcError(406, SERVER_ERROR, 'Not Acceptable: the stream needs Accept: text/event-stream');
    }
    const session = this.session(id, principal);
    if (session instanceof Response) return session;
    const mismatch = this.versionMismatch(request, session);
    if (mismatch) return mismatch;
    if (this.streams.has(id)) {
      return jsonRpcError(409, SERVER_ERROR, 'Conflict: this session already has an open stream');
    }

    let open: OpenStream | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const timer = setInterval(() => open?.write(': keepalive\n\n'), this.options.keepAliveMs);
        timer.unref();
        let closed = false;
        open = {
          write: (chunk) => {
            if (closed) return;
            try {
              controller.enqueue(encoder.encode(chunk));
            } catch {
              open?.close();
            }
          },
          close: () => {
            if (closed) return;
            closed = true;
            clearInterval(timer);
            if (this.streams.get(id) === open) this.streams.delete(id);
            try {
              controller.close();
            } catch {
              // Already closed by the reader.
            }
          },
        };
        this.streams.set(id, open);
        request.signal.addEventListener('abort', () => open?.close(), { once: true });
        // Headers and a first line right away, so that proxies and clients see the stream is open.
        open.write(': stream open\n\n');
      },
      cancel: () => open?.close(),
    });
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        [SESSION_HEADER]: id,
      },
    });
  }

  /** DELETE: ends the session (and its stream, when it is open here). */
  endSession(request: Request, principal: Principal | null): Response {
    const id = request.headers.get(SESSION_HEADER);
    if (id === null) {
      return jsonRpcError(405, SERVER_ERROR, 'DELETE ends a 2025-11-25 session: send its Mcp-Session-Id', {
        headers: { allow: 'GET, POST' },
      });
    }
    const session = this.session(id, principal);
    if (session instanceof Response) return session;
    this.options.sessions.revoke(session);
    this.streams.get(id)?.close();
    return new Response(null, { status: 200 });
  }

  broadcast(method: string): void {
    const frame = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method })}\n\n`;
    for (const stream of this.streams.values()) stream.write(frame);
  }

  /** Sends one notification on a session's stream, when that stream is open on this process. */
  sendTo(session: string, method: string, params: Record<string, unknown>): boolean {
    const stream = this.streams.get(session);
    if (!stream) return false;
    stream.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method, params })}\n\n`);
    return true;
  }

  closeAll(): void {
    for (const stream of [...this.streams.values()]) stream.close();
  }

  private session(id: string, principal: Principal | null): LegacySession | Response {
    const session = this.options.sessions.verify(id);
    // Someone else's session is reported like an unknown one: the id reveals nothing, and the client starts afresh.
    if (!session || session.subject !== (principal?.subject ?? null)) {
      return jsonRpcError(
        404,
        SESSION_NOT_FOUND,
        'Session not found: it expired, was ended, or belongs to other credentials; send initialize again without Mcp-Session-Id',
      );
    }
    return session;
  }

  private versionMismatch(request: Request, session: LegacySession): Response | undefined {
    const header = request.headers.get('mcp-protocol-version')?.trim();
    if (header === undefined || header === session.protocolVersion) return undefined;
    return jsonRpcError(
      400,
      SERVER_ERROR,
      `Bad Request: MCP-Protocol-Version ${header} differs from the version this session negotiated (${session.protocolVersion})`,
    );
  }
}

/** The protocol version an `initialize` request asks for, or undefined when the body is not one. */
function initializeVersion(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const message = body as { method?: unknown; id?: unknown; params?: { protocolVersion?: unknown } };
  if (message.method !== 'initialize' || message.id === undefined) return undefined;
  const version = message.params?.protocolVersion;
  return typeof version === 'string' ? version : '';
}
