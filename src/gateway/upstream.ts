/**
 * One pooled connection to an upstream MCP server, shared by every downstream caller (its credentials are the
 * upstream's configured headers, never a caller's token). It keeps the upstream's tool list, guards calls with a
 * timeout and a circuit breaker, and reconnects in the background with jittered exponential backoff.
 */
import {
  Client,
  LOG_LEVEL_META_KEY,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import type {
  CallToolResult,
  CompleteRequest,
  CompleteResult,
  FetchLike,
  GetPromptResult,
  InputRequiredResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  ServerCapabilities,
  Tool,
  Transport,
} from '@modelcontextprotocol/client';
import type { Logger } from '../platform/observability/logger.js';
import type { McpLogRelay, McpProgress } from '../mcp/provider.js';
import { UpstreamLogTap } from './logging.js';
import { GATEWAY_CLIENT_CAPABILITIES, installInputHandlers, outsideAnyCall } from './input-requests.js';

/** A 2026-07-28 call's multi-round-trip fields; `manual` hands an `input_required` result back (input-requests.ts). */
export interface UpstreamRetry {
  manual?: boolean;
  inputResponses?: Record<string, unknown>;
  requestState?: string;
}

export type UpstreamTransport = 'streamable-http' | 'sse';

/** Where and how to reach an upstream, with secrets already opened (held in memory only). */
export interface UpstreamTarget {
  alias: string;
  transport: UpstreamTransport;
  /** Where the pooled SDK connection goes. */
  url: string;
  /**
   * Every URL the upstream can be reached at (registered passing instances), `url` first. Stateless (2026-07-28)
   * calls the gateway forwards are spread over them in turn; the pooled connection stays on `url`.
   */
  urls?: readonly string[];
  headers: Record<string, string>;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface UpstreamTimeouts {
  connectMs: number;
  callMs: number;
}

export interface UpstreamStatus {
  state: 'connecting' | 'ready' | 'unavailable';
  breaker: BreakerState;
  lastError: string | null;
  toolCount: number;
  connectedAt: string | null;
}

export class UpstreamUnavailableError extends Error {
  override name = 'UpstreamUnavailableError';
}
export class UpstreamTimeoutError extends Error {
  override name = 'UpstreamTimeoutError';
}

/**
 * Circuit breaker: `threshold` consecutive failures open it; after `coolDownMs` one trial is let through
 * (half-open); its success closes the breaker, its failure opens it again.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;

  constructor(
    private readonly threshold: number,
    private readonly coolDownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a request may go through now (moves open → half-open once the cool-down passed). */
  allow(): boolean {
    if (this.state === 'open' && this.now() - this.openedAt >= this.coolDownMs) this.state = 'half-open';
    return this.state !== 'open';
  }

  success(): void {
    this.failures = 0;
    this.state = 'closed';
  }

  failure(): void {
    this.failures++;
    if (this.state === 'half-open' || this.failures >= this.threshold) {
      this.state = 'open';
      this.openedAt = this.now();
    }
  }
}

/** Backoff before reconnect attempt `n` (0-based): exponential to a cap, with full jitter so replicas spread out. */
export function backoffMs(attempt: number, baseMs = 250, capMs = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface UpstreamConnectionOptions {
  target: UpstreamTarget;
  timeouts: UpstreamTimeouts;
  fetch: FetchLike;
  logger: Logger;
  clientInfo: { name: string; version: string };
  /** Speak 2025-11-25 even when the upstream offers 2026-07-28 (`sse` remotes always do). */
  legacyOnly?: boolean;
  /** Called (debounced by the SDK) when the upstream's tool list changed and has been re-read, or was lost. */
  onToolsChanged(): void;
  /** Called with the upstream's URI when it sends `notifications/resources/updated` (subscriptions.ts). */
  onResourceUpdated?(uri: string): void;
  breaker?: CircuitBreaker;
}

export class UpstreamConnection {
  readonly breaker: CircuitBreaker;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private tools: readonly Tool[] = [];
  private resources: readonly Resource[] = [];
  private resourceTemplates: readonly ResourceTemplate[] = [];
  private prompts: readonly Prompt[] = [];
  private lastError: string | null = null;
  private connectedAt: string | null = null;
  private attempts = 0;
  /** Round-robin position over the target's URLs for forwarded calls. */
  private turn = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Routes log messages on a call's response stream to that call's downstream request (logging.ts). */
  private readonly logTap: UpstreamLogTap;
  /** Set once per 2025-era upstream session, the first time a call wants logs (see legacyLogLevel). */
  private legacyLevelSet: Promise<unknown> | undefined;

  constructor(private readonly options: UpstreamConnectionOptions) {
    this.breaker = options.breaker ?? new CircuitBreaker(3, 5_000);
    this.logTap = new UpstreamLogTap(options.fetch);
  }

  get alias(): string {
    return this.options.target.alias;
  }

  status(): UpstreamStatus {
    return {
      state: this.client ? 'ready' : this.connecting ? 'connecting' : 'unavailable',
      breaker: this.breaker.state,
      lastError: this.lastError,
      toolCount: this.tools.length,
      connectedAt: this.connectedAt,
    };
  }

  /** The tools of a connected upstream; empty while it is down (its tools disappear until it recovers). */
  currentTools(): readonly Tool[] {
    return this.client ? this.tools : [];
  }

  /**
   * Connects (once; concurrent callers share the attempt) and reads the tool list, within the connect timeout.
   * Never throws: failure leaves the upstream unavailable and schedules a reconnect.
   */
  async ready(): Promise<void> {
    if (this.client || this.closed) return;
    if (!this.connecting) {
      // Outside any call: the connection's own streams must not inherit the call that happened to open it.
      this.connecting = outsideAnyCall(() => this.connect()).finally(() => {
        this.connecting = undefined;
      });
    }
    try {
      await this.connecting;
    } catch {
      // Recorded in lastError by connect().
    }
  }

  /** The era the upstream speaks, once connected. */
  protocolEra(): 'modern' | 'legacy' | undefined {
    return this.client?.getProtocolEra();
  }

  /** Whether a first connection attempt was made (later ones run in the background). */
  get attempted(): boolean {
    return this.attempts > 0 || this.client !== undefined || this.lastError !== null;
  }

  /** The resources of a connected upstream that offers them; empty otherwise. */
  currentResources(): readonly Resource[] {
    return this.client ? this.resources : [];
  }

  currentResourceTemplates(): readonly ResourceTemplate[] {
    return this.client ? this.resourceTemplates : [];
  }

  currentPrompts(): readonly Prompt[] {
    return this.client ? this.prompts : [];
  }

  async getPrompt(name: string, args: Record<string, string>, signal: AbortSignal): Promise<GetPromptResult> {
    await this.ready();
    const client = this.client;
    if (!client) {
      throw new UpstreamUnavailableError(`upstream ${this.alias} is unavailable: ${this.lastError ?? 'not connected'}`);
    }
    return (await client.getPrompt(
      { name, arguments: args },
      { timeout: this.options.timeouts.callMs, signal },
    )) as GetPromptResult;
  }

  /** The upstream's capabilities while it is connected (what it declared at the handshake). */
  capabilities(): ServerCapabilities | undefined {
    return this.client?.getServerCapabilities();
  }

  /**
   * Resource subscriptions on this shared connection: 2025-era `resources/subscribe` per URI, or (2026-07-28) one
   * `subscriptions/listen` stream naming every URI, replaced whenever the set changes (subscriptions.ts decides).
   */
  async subscribeResource(uri: string, subscribe: boolean): Promise<void> {
    const client = this.client;
    if (!client)
      throw new UpstreamUnavailableError(`upstream ${this.alias} is unavailable: ${this.lastError ?? 'not connected'}`);
    const options = { timeout: this.options.timeouts.callMs };
    if (subscribe) await client.subscribeResource({ uri }, options);
    else await client.unsubscribeResource({ uri }, options);
  }

  /** Opens a 2026-07-28 listen stream for these URIs; resolves with its closer once the upstream acknowledged. */
  async listenResources(uris: readonly string[]): Promise<() => Promise<void>> {
    const client = this.client;
    if (!client)
      throw new UpstreamUnavailableError(`upstream ${this.alias} is unavailable: ${this.lastError ?? 'not connected'}`);
    const subscription = await client.listen(
      { resourceSubscriptions: [...uris] },
      { timeout: this.options.timeouts.callMs },
    );
    return () => subscription.close();
  }

  /** Whether the connection speaks 2026-07-28 (subscriptions ride on `subscriptions/listen`). */
  get modern(): boolean {
    return this.client !== undefined && isModern(this.client);
  }

  async complete(params: CompleteRequest['params'], signal: AbortSignal): Promise<CompleteResult> {
    const client = this.client;
    if (!client)
      throw new UpstreamUnavailableError(`upstream ${this.alias} is unavailable: ${this.lastError ?? 'not connected'}`);
    return (await client.complete(params, { timeout: this.options.timeouts.callMs, signal })) as CompleteResult;
  }

  async readResource(uri: string, signal: AbortSignal): Promise<ReadResourceResult> {
    await this.ready();
    const client = this.client;
    if (!client)
      throw new UpstreamUnavailableError(`upstream ${this.alias} is unavailable: ${this.lastError ?? 'not connected'}`);
    return (await client.readResource(
      { uri },
      { timeout: this.options.timeouts.callMs, signal },
    )) as ReadResourceResult;
  }

  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    signal: AbortSignal,
    progress?: (update: McpProgress) => void,
    retry?: UpstreamRetry,
    log?: McpLogRelay,
  ): Promise<CallToolResult | InputRequiredResult> {
    await this.ready();
    const client = this.client;
    if (!client)
      throw new UpstreamUnavailableError(`upstream ${this.alias} is unavailable: ${this.lastError ?? 'not connected'}`);
    if (!this.breaker.allow())
      throw new UpstreamUnavailableError(`upstream ${this.alias} is unavailable (circuit open)`);
    const tap = log && client.getServerCapabilities()?.logging ? this.logTap.open(log.send) : undefined;
    const modern = isModern(client);
    try {
      if (tap && !modern) await this.legacyLogLevel(client);
      const params = {
        name,
        ...(args !== undefined && { arguments: args }),
        // 2026-07-28: the client's own level for this one request; the upstream sends nothing below it.
        ...(tap && log && modern && { _meta: { [LOG_LEVEL_META_KEY]: log.level } }),
      };
      // The upstream's progress notifications are relayed as they come; the call timeout still bounds the call.
      const options = {
        timeout: this.options.timeouts.callMs,
        signal,
        ...(progress && { onprogress: progress }),
        ...(tap && { headers: tap.headers }),
      };
      const result = retry?.manual
        ? // callTool would check an input_required result against the tool's output schema; the client passes it on.
          ((await client.request(
            {
              method: 'tools/call',
              params: {
                ...params,
                ...(retry.inputResponses && { inputResponses: retry.inputResponses }),
                ...(retry.requestState !== undefined && { requestState: retry.requestState }),
              },
            },
            { ...options, allowInputRequired: true },
          )) as CallToolResult | InputRequiredResult)
        : ((await client.callTool(params, options)) as CallToolResult);
      this.breaker.success();
      return result;
    } catch (error) {
      if (signal.aborted) throw error;
      // Protocol errors (unknown tool, invalid params) are the caller's, not the upstream's health.
      if (isProtocolError(error)) throw error;
      const message = errorMessage(error);
      throw this.callFailed(message, /timed? ?out/i.test(message));
    } finally {
      tap?.close();
    }
  }

  /**
   * Where a modern-era call may be sent as raw JSON-RPC (call forwarding): the URL and headers of a Streamable HTTP
   * upstream this connection reached in 2026-07-28, which holds no session. Undefined otherwise (legacy era, HTTP+SSE,
   * not connected, circuit open): the call then goes through the SDK client.
   */
  forwardTarget(): { url: string; headers: Readonly<Record<string, string>>; callMs: number } | undefined {
    const { target, timeouts } = this.options;
    if (!this.client || target.transport !== 'streamable-http' || this.client.getProtocolEra() !== 'modern') {
      return undefined;
    }
    // An open circuit is answered by the SDK path, with its usual message.
    if (!this.breaker.allow()) return undefined;
    const urls = target.urls ?? [target.url];
    const url = urls[this.turn++ % urls.length] ?? target.url;
    return { url, headers: target.headers, callMs: timeouts.callMs };
  }

  /** A call reached the upstream and was answered. */
  callSucceeded(): void {
    this.breaker.success();
  }

  /**
   * A call failed in transport or timed out (not a protocol error, which is the caller's): breaker, last error, and
   * a reconnect when the upstream seems gone; answers the error to report.
   */
  callFailed(message: string, timedOut: boolean): UpstreamTimeoutError | UpstreamUnavailableError {
    this.breaker.failure();
    this.lastError = message;
    if (timedOut) {
      return new UpstreamTimeoutError(
        `upstream ${this.alias} did not answer within ${this.options.timeouts.callMs} ms`,
      );
    }
    this.drop(message);
    return new UpstreamUnavailableError(`upstream ${this.alias} failed: ${message}`);
  }

  /**
   * A 2025-era upstream keeps one log level per session, and this session is shared by every downstream client:
   * it is set to `debug` once (so the upstream sends whatever any client may want), and each client's own level is
   * applied by the gateway to the messages of its own calls. Calls whose client wants no logs never read them.
   */
  private legacyLogLevel(client: Client): Promise<unknown> {
    this.legacyLevelSet ??= client
      .setLoggingLevel('debug', { timeout: this.options.timeouts.callMs })
      .catch((error: unknown) => {
        this.legacyLevelSet = undefined;
        this.options.logger.debug({ upstream: this.alias, err: error }, 'gateway upstream refused logging/setLevel');
      });
    return this.legacyLevelSet;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }

  private async connect(): Promise<Client> {
    const { target, timeouts } = this.options;
    const client = new Client(this.options.clientInfo, {
      versionNegotiation: { mode: target.transport === 'sse' || this.options.legacyOnly ? 'legacy' : 'auto' },
      // Declared for every downstream client; each request is checked against its own client (input-requests.ts).
      capabilities: GATEWAY_CLIENT_CAPABILITIES,
      listChanged: {
        tools: {
          debounceMs: 200,
          onChanged: (error, tools) => {
            if (error || !tools) return;
            this.tools = tools;
            this.options.onToolsChanged();
          },
        },
      },
    });
    installInputHandlers(client, this);
    const url = new URL(target.url);
    const requestInit = { headers: target.headers };
    const transport: Transport =
      target.transport === 'sse'
        ? new SSEClientTransport(url, { requestInit, fetch: this.options.fetch })
        : new StreamableHTTPClientTransport(url, { requestInit, fetch: this.logTap.fetch });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeouts.connectMs);
    try {
      const work = (async () => {
        // Three quarters of the budget for the handshake: a modern upstream that never acknowledges the list-changed subscription
        // holds connect() until this timeout (the SDK then carries on), and the lists still need the rest.
        await client.connect(transport, { timeout: Math.floor(timeouts.connectMs * 0.75), signal: controller.signal });
        const options = { timeout: timeouts.connectMs, signal: controller.signal };
        const { tools } = await client.listTools(undefined, options);
        // Resources are optional: an upstream without the capability (or failing to list them) still serves tools.
        this.resources = client.getServerCapabilities()?.resources
          ? (await client.listResources(undefined, options).catch(() => ({ resources: [] as Resource[] }))).resources
          : [];
        this.resourceTemplates = client.getServerCapabilities()?.resources
          ? (
              await client
                .listResourceTemplates(undefined, options)
                .catch(() => ({ resourceTemplates: [] as ResourceTemplate[] }))
            ).resourceTemplates
          : [];
        this.prompts = client.getServerCapabilities()?.prompts
          ? (await client.listPrompts(undefined, options).catch(() => ({ prompts: [] as Prompt[] }))).prompts
          : [];
        return tools;
      })();
      const aborted = new Promise<never>((_, reject) =>
        controller.signal.addEventListener('abort', () =>
          reject(new UpstreamTimeoutError(`no answer within ${timeouts.connectMs} ms`)),
        ),
      );
      const tools = await Promise.race([work, aborted]);
      work.catch(() => undefined);
      if (this.closed) {
        await client.close().catch(() => undefined);
        throw new UpstreamUnavailableError('closed');
      }
      client.onclose = () => this.drop('connection closed');
      this.legacyLevelSet = undefined;
      const { onResourceUpdated } = this.options;
      if (onResourceUpdated) {
        client.setNotificationHandler('notifications/resources/updated', (notification) =>
          onResourceUpdated(notification.params.uri),
        );
      }
      this.tools = tools;
      this.client = client;
      this.lastError = null;
      this.attempts = 0;
      this.connectedAt = new Date().toISOString();
      this.breaker.success();
      this.options.onToolsChanged();
      return client;
    } catch (error) {
      const message = errorMessage(error);
      this.lastError = message;
      this.breaker.failure();
      await client.close().catch(() => undefined);
      this.options.logger.warn({ upstream: target.alias, error: message }, 'gateway upstream unavailable');
      this.scheduleReconnect();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forgets a broken connection (its tools disappear) and reconnects later. */
  private drop(reason: string): void {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.lastError = reason;
    client.onclose = undefined;
    client.close().catch(() => undefined);
    this.options.onToolsChanged();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = backoffMs(this.attempts++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.ready();
    }, delay);
    this.retryTimer.unref();
  }
}

/** Whether the connection speaks 2026-07-28 or later (the era where the log level travels with each request). */
function isModern(client: Client): boolean {
  const version = client.getNegotiatedProtocolVersion();
  // Protocol versions are ISO dates, so they order as strings.
  return version !== undefined && version >= '2026-07-28';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isProtocolError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && code >= -32603 && code <= -32600;
}
