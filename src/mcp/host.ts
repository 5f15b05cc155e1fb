/**
 * The MCP host: one endpoint, both protocol eras, tools and resources contributed by providers.
 *
 * Layers (the SDK's own split): the HTTP edge (routes.ts) only translates Fastify to a web-standard Request; this
 * host picks the era and serves it — 2026-07-28 traffic through the SDK's `createMcpHandler` (header validation,
 * `server/discover`, `resultType`, cache hints, `subscriptions/listen`), 2025-era traffic through legacy.ts, which
 * adds what the SDK's stateless fallback lacks (session ids, the GET stream, DELETE) — and both build a fresh
 * McpServer per request from the registered providers, so neither era keeps protocol state in memory.
 */
import {
  McpServer,
  ResourceTemplate,
  createMcpHandler,
  isJsonContentType,
  isLegacyRequest,
  legacyStatelessFallback,
} from '@modelcontextprotocol/server';
import type {
  AuthInfo,
  CacheScope,
  CallToolResult,
  Implementation,
  LegacyHttpHandler,
  McpHttpHandler,
  McpRequestContext,
  ServerContext,
  StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import type { Principal } from '../auth/authenticator.js';
import type { GatewayAccess, GatewayOutcome } from '../gateway/access.js';
import { WharfError } from '../platform/errors.js';
import type { Logger } from '../platform/observability/logger.js';
import { INVALID_REQUEST, PARSE_ERROR, SERVER_ERROR, echoableId, envelopeProblem, jsonRpcError } from './jsonrpc.js';
import { LegacyCancellations } from './cancellations.js';
import { forwardableToolCall } from './forwarding.js';
import type { ToolCallForwarder } from './forwarding.js';
import { LegacyClientRequests, RequestStates, declares, envelopeCapabilities } from './input-required.js';
import type { McpClientInput } from './input-required.js';
import { LegacyEndpoint } from './legacy.js';
import { LegacyLogLevels, logRelayOf } from './logging.js';
import { completionHandler } from './completion.js';
import { LegacyResourceSubscribers, listenedResources, subscribeAll } from './subscriptions.js';
import type { Subscribe } from './subscriptions.js';
import type { LegacySessions } from './sessions.js';
import type {
  McpCallContext,
  McpEra,
  McpProvider,
  McpProgress,
  McpRawPrompt,
  McpRawResourceTemplate,
  McpRawTool,
  McpResource,
  McpResourceTemplate,
  McpToolDefinition,
} from './provider.js';
import { withCachedJsonSchema } from './schemas.js';

export interface McpHostOptions {
  serverInfo: Implementation;
  instructions?: string;
  sessions: LegacySessions;
  logger: Logger;
  /** Lifetime advertised on 2026-07-28 list and discover results (default 5 minutes; list_changed invalidates). */
  listTtlMs?: number;
  /** SSE keep-alive comment interval (default 15 s). */
  keepAliveMs?: number;
  /** Who sees and may call which tool, rate limits, audit and metrics of each call (default: open, unrecorded). */
  access?: GatewayAccess;
}

/** Who is calling: the Principal the HTTP edge authenticated (null: anonymous) and the bearer it came with. */
export interface McpCaller {
  principal: Principal | null;
  token?: string | undefined;
  /** The client's IP address, for per-address limits of anonymous callers and the audit record. */
  address?: string | undefined;
}

/** One HTTP exchange at the endpoint, already read off the wire by the edge. */
export interface McpHttpExchange {
  /** Method, URL, headers and an abort signal; no body (it is in `body`). */
  request: Request;
  body?: Buffer | undefined;
}

interface PreparedTool {
  definition: McpToolDefinition;
  input: StandardSchemaWithJSON;
  output: StandardSchemaWithJSON | undefined;
}

interface PreparedTemplate {
  definition: McpResourceTemplate;
  template: ResourceTemplate;
}

interface PreparedProvider {
  provider: McpProvider;
  tools: PreparedTool[];
  resources: readonly McpResource[];
  templates: PreparedTemplate[];
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** `/mcp/{virtualServer}`: the name of a virtual server in a request path. */
const VIRTUAL_SERVER_PATH = /\/mcp\/([a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?)\/?$/;

/** Raw JSON Schemas as the SDK's schema type: no validation here (the tool's own server validates). */
const rawSchemas = new WeakMap<object, StandardSchemaWithJSON>();
function rawSchema(schema: Record<string, unknown>): StandardSchemaWithJSON {
  let standard = rawSchemas.get(schema);
  if (!standard) {
    standard = {
      '~standard': {
        version: 1,
        vendor: 'wharf-raw',
        validate: (value: unknown) => ({ value }),
        jsonSchema: { input: () => schema, output: () => schema },
      },
    } as StandardSchemaWithJSON;
    rawSchemas.set(schema, standard);
  }
  return standard;
}

/** A prompt's arguments as the JSON Schema the SDK derives prompt arguments from (cached per prompt object). */
const promptSchemas = new WeakMap<object, Record<string, unknown>>();
function promptSchema(prompt: McpRawPrompt): Record<string, unknown> {
  let schema = promptSchemas.get(prompt);
  if (!schema) {
    schema = {
      type: 'object',
      properties: Object.fromEntries(
        prompt.arguments.map((arg) => [
          arg.name,
          { type: 'string', ...(arg.description !== undefined && { description: arg.description }) },
        ]),
      ),
      required: prompt.arguments.filter((arg) => arg.required).map((arg) => arg.name),
    };
    promptSchemas.set(prompt, schema);
  }
  return schema;
}

/** Run-time templates as the SDK's ResourceTemplate (parsed once per template object, not per request). */
const rawTemplates = new WeakMap<McpRawResourceTemplate, ResourceTemplate>();
function rawTemplate(definition: McpRawResourceTemplate): ResourceTemplate {
  let template = rawTemplates.get(definition);
  if (!template) {
    template = new ResourceTemplate(definition.uriTemplate, { list: undefined });
    rawTemplates.set(definition, template);
  }
  return template;
}

/**
 * The progress relay for a request whose client sent a progress token; undefined otherwise, so a call without one
 * allocates nothing for it.
 */
function progressOf(ctx: ServerContext): ((update: McpProgress) => void) | undefined {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  return (update) => {
    ctx.mcpReq
      .notify({
        method: 'notifications/progress',
        params: {
          progressToken,
          progress: update.progress,
          ...(update.total !== undefined && { total: update.total }),
          ...(update.message !== undefined && { message: update.message }),
        },
      })
      // A client gone mid-call cannot receive progress; the call itself learns of it through the signal.
      .catch(() => undefined);
  };
}

export function virtualServerOf(request: Request | undefined): string | undefined {
  if (!request) return undefined;
  return VIRTUAL_SERVER_PATH.exec(new URL(request.url).pathname)?.[1];
}
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class McpHost {
  private readonly providers: PreparedProvider[] = [];
  private readonly names = new Set<string>();
  private readonly modern: McpHttpHandler;
  private readonly legacyPost: LegacyHttpHandler;
  private readonly legacy: LegacyEndpoint;
  private readonly cancellations = new LegacyCancellations();
  private readonly clientRequests = new LegacyClientRequests();
  private readonly requestStates: RequestStates;
  /** The level each 2025-era session set with `logging/setLevel` (logging.ts). */
  private readonly logLevels = new LegacyLogLevels();
  /** 2025-era sessions' resource subscriptions held on this process (subscriptions.ts). */
  private readonly resourceSubscribers = new LegacyResourceSubscribers();
  private readonly listTtlMs: number;
  private closing: Promise<void> | undefined;
  private forwarder: ToolCallForwarder | undefined;

  constructor(private readonly options: McpHostOptions) {
    this.listTtlMs = options.listTtlMs ?? 5 * 60 * 1000;
    this.requestStates = new RequestStates(options.sessions.deriveKey('mcp request state v1'));
    const onerror = (error: Error) => options.logger.debug({ err: error }, 'MCP request refused or failed');
    const factory = (context: McpRequestContext) => this.buildServer(context);
    this.modern = createMcpHandler(factory, {
      legacy: 'reject',
      onerror,
      ...(options.keepAliveMs !== undefined && { keepAliveMs: options.keepAliveMs }),
    });
    this.legacyPost = legacyStatelessFallback(factory, onerror);
    this.legacy = new LegacyEndpoint({
      sessions: options.sessions,
      serve: (request, parsedBody, authInfo) =>
        this.legacyPost(request, { parsedBody, ...(authInfo !== undefined && { authInfo }) }),
      keepAliveMs: options.keepAliveMs ?? 15_000,
    });
  }

  /** Adds a provider's tools and resources; names must be unique across providers. */
  register(provider: McpProvider): void {
    const claim = (kind: string, name: string) => {
      const key = `${kind} ${name}`;
      if (this.names.has(key))
        throw new Error(`MCP ${kind} "${name}" of provider ${provider.id} is already registered`);
      this.names.add(key);
    };
    const tools = (provider.tools ?? []).map((definition) => {
      if (!TOOL_NAME.test(definition.name)) {
        throw new Error(`MCP tool name "${definition.name}" must be 1–128 characters of [A-Za-z0-9_.-]`);
      }
      claim('tool', definition.name);
      return {
        definition,
        input: withCachedJsonSchema(definition.input),
        output: definition.output ? withCachedJsonSchema(definition.output) : undefined,
      };
    });
    for (const resource of provider.resources ?? []) claim('resource', resource.uri);
    const templates = (provider.resourceTemplates ?? []).map((definition) => {
      claim('resource template', definition.uriTemplate);
      return { definition, template: new ResourceTemplate(definition.uriTemplate, { list: undefined }) };
    });
    this.providers.push({ provider, tools, resources: provider.resources ?? [], templates });
  }

  /** Modern tool calls are offered to `forwarder` first (the gateway's call forwarding); it may decline any of them. */
  forwardToolCalls(forwarder: ToolCallForwarder): void {
    this.forwarder = forwarder;
  }

  /** Serves one exchange; never throws (failures become JSON-RPC error responses). */
  async handle(exchange: McpHttpExchange, caller: McpCaller): Promise<Response> {
    const { request } = exchange;
    try {
      const authInfo = authInfoOf(caller);
      switch (request.method) {
        case 'POST':
          return await this.post(request, exchange.body, authInfo, caller);
        case 'GET':
          return this.legacy.openStream(request, caller.principal);
        case 'DELETE': {
          const ended = this.legacy.endSession(request, caller.principal);
          const session = request.headers.get(SESSION_HEADER);
          if (ended.status === 200 && session !== null) {
            this.logLevels.forget(session);
            void this.resourceSubscribers.end(session);
          }
          return ended;
        }
        default:
          return jsonRpcError(
            405,
            SERVER_ERROR,
            `Method ${request.method} not allowed: use POST (GET and DELETE serve 2025-11-25 sessions)`,
            {
              headers: { allow: 'GET, POST, DELETE' },
            },
          );
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'MCP request failed');
      return jsonRpcError(500, -32603, 'Internal error');
    }
  }

  /** Tells open subscriptions (modern `subscriptions/listen`, legacy GET streams) that the tool list changed. */
  notifyToolsChanged(): void {
    this.modern.notify.toolsChanged();
    this.legacy.broadcast('notifications/tools/list_changed');
  }

  /** Tells the subscribers of a resource URI that it changed: modern listen streams naming it, legacy sessions. */
  notifyResourceUpdated(uri: string): void {
    this.modern.notify.resourceUpdated(uri);
    for (const session of this.resourceSubscribers.watching(uri)) {
      this.legacy.sendTo(session, 'notifications/resources/updated', { uri });
    }
  }

  notifyResourcesChanged(): void {
    this.modern.notify.resourcesChanged();
    this.legacy.broadcast('notifications/resources/list_changed');
  }

  /** Idempotent: every route scope serving this host closes it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.legacy.closeAll();
      await this.modern.close();
    })();
    return this.closing;
  }

  private async post(
    request: Request,
    raw: Buffer | undefined,
    authInfo: AuthInfo | undefined,
    caller: McpCaller,
  ): Promise<Response> {
    if (!isJsonContentType(request.headers.get('content-type'))) {
      return jsonRpcError(415, SERVER_ERROR, 'Unsupported Media Type: send the JSON-RPC message as application/json');
    }
    let body: unknown;
    try {
      const text = raw === undefined ? '' : utf8.decode(raw);
      if (text.trim() === '') return jsonRpcError(400, PARSE_ERROR, 'Parse error: the request body is empty');
      body = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof SyntaxError ? error.message : 'the body is not valid UTF-8';
      return jsonRpcError(400, PARSE_ERROR, `Parse error: ${reason}`);
    }
    const problem = envelopeProblem(body);
    if (problem) return jsonRpcError(400, INVALID_REQUEST, `Invalid Request: ${problem}`, { id: echoableId(body) });

    const forwardable = this.forwarder && forwardableToolCall(request, body);
    if (forwardable) {
      const forwarded = await this.forwarder?.({
        request,
        message: forwardable,
        principal: caller.principal,
        virtualServer: virtualServerOf(request),
        address: caller.address,
      });
      if (forwarded) return forwarded;
    }
    const principal = caller.principal;
    if (await isLegacyRequest(request, body)) {
      const tool = legacyToolCall(body);
      // The SDK hands this same Request to the server factory; it has no headers naming the tool in this era.
      if (tool !== undefined) legacyCalls.set(request, tool);
      const response = await this.legacy.post(request, body, authInfo, principal);
      // Only a notification the session check accepted may cancel anything.
      const session = request.headers.get(SESSION_HEADER);
      if (response.status === 202 && session !== null) {
        this.cancellations.notified(session, body);
        this.clientRequests.answered(session, body);
      }
      return response;
    }
    const listened = listenedResources(body);
    if (listened.length === 0) {
      return this.modern.fetch(request, { parsedBody: body, ...(authInfo !== undefined && { authInfo }) });
    }
    // Held while the listen stream is open: the edge aborts the request's signal when the response closes.
    const release = await subscribeAll(listened, await this.subscribers(principal, virtualServerOf(request)));
    const response = await this.modern.fetch(request, {
      parsedBody: body,
      ...(authInfo !== undefined && { authInfo }),
    });
    if (response.status !== 200 || request.signal.aborted) await release();
    else request.signal.addEventListener('abort', () => void release(), { once: true });
    return response;
  }

  /** The providers that take resource subscriptions for this caller. */
  private async subscribers(principal: Principal | null, virtualServer: string | undefined): Promise<Subscribe[]> {
    const contents = await Promise.all(
      this.providers.map(({ provider }) =>
        provider.dynamic && (!provider.availableTo || provider.availableTo(principal))
          ? provider.dynamic({ principal, era: 'modern', virtualServer })
          : undefined,
      ),
    );
    return contents.flatMap((content) => (content?.subscribe ? [content.subscribe] : []));
  }

  /** The per-request server: this caller's view of every provider. */
  private async buildServer(context: McpRequestContext): Promise<McpServer> {
    const principal = principalOf(context.authInfo);
    const address = context.authInfo?.extra?.[ADDRESS] as string | undefined;
    const era: McpEra = context.era;
    const virtualServer = virtualServerOf(context.requestInfo);
    const legacySession =
      era === 'legacy' ? (context.requestInfo?.headers.get(SESSION_HEADER) ?? undefined) : undefined;
    const sessionLevel = legacySession === undefined ? undefined : this.logLevels.get(legacySession);
    const only = calledTool(context);
    const wanted = (name: string) => only === undefined || name === only;
    const dynamic = await Promise.all(
      this.providers.map(({ provider }) =>
        provider.dynamic && (!provider.availableTo || provider.availableTo(principal))
          ? provider.dynamic({ principal, era, virtualServer })
          : undefined,
      ),
    );
    // Anonymous callers all see the same thing; an authenticated caller's view may depend on who they are.
    const cacheScope: CacheScope = principal ? 'private' : 'public';
    const listHint = { ttlMs: this.listTtlMs, cacheScope };
    const completers = dynamic.flatMap((content) => (content?.complete ? [content.complete] : []));
    const subscribers = dynamic.flatMap((content) => (content?.subscribe ? [content.subscribe] : []));
    const server = new McpServer(this.options.serverInfo, {
      capabilities: {
        tools: { listChanged: true },
        resources: { listChanged: true, ...(subscribers.length > 0 && { subscribe: true }) },
        // Log messages of routed calls are relayed on their own request's stream (logging.ts).
        logging: {},
        ...(completers.length > 0 && { completions: {} }),
      },
      ...(this.options.instructions !== undefined && { instructions: this.options.instructions }),
      cacheHints: {
        'server/discover': listHint,
        'tools/list': listHint,
        'resources/list': listHint,
        'resources/templates/list': listHint,
        'resources/read': { ttlMs: 0, cacheScope },
      },
      // The host's own states (replayed calls) are opened here, so a forged or expired one is a -32602 error;
      // any other state belongs to an upstream and reaches it unchanged.
      requestState: {
        verify: (state: string) =>
          RequestStates.isOwn(state) ? this.requestStates.open(state, principal?.subject ?? null) : undefined,
      },
    });
    const callContext = (ctx: ServerContext): McpCallContext => ({
      principal,
      era,
      signal: ctx.mcpReq.signal,
      virtualServer,
      clientAddress: address,
      progress: progressOf(ctx),
      log: logRelayOf(ctx, era, sessionLevel),
    });
    if (legacySession !== undefined) {
      // The SDK's own handler keeps the level on this per-request server, which is gone after the response.
      server.server.setRequestHandler('logging/setLevel', (request) => {
        this.logLevels.set(legacySession, request.params.level);
        return {};
      });
    }
    if (legacySession !== undefined && subscribers.length > 0) {
      server.server.setRequestHandler('resources/subscribe', async (request) => {
        await this.resourceSubscribers.subscribe(legacySession, request.params.uri, subscribers);
        return {};
      });
      server.server.setRequestHandler('resources/unsubscribe', async (request) => {
        await this.resourceSubscribers.unsubscribe(legacySession, request.params.uri);
        return {};
      });
    }
    if (completers.length > 0) {
      server.server.setRequestHandler('completion/complete', completionHandler(completers, callContext));
    }
    for (const [index, { provider, tools, resources, templates }] of this.providers.entries()) {
      if (provider.availableTo && !provider.availableTo(principal)) continue;
      for (const tool of dynamic[index]?.tools ?? []) {
        if (wanted(tool.name)) {
          this.registerRawTool(
            server,
            provider,
            tool,
            (ctx) => {
              const context = callContext(ctx);
              context.input = this.clientInput(server, ctx, context, legacySession);
              return context;
            },
            legacySession,
          );
        }
      }
      if (only !== undefined) {
        for (const tool of virtualServer === undefined || provider.servesVirtualServers ? tools : []) {
          if (tool.definition.name === only)
            this.registerStaticTool(server, provider, tool, principal, callContext, address);
        }
        continue;
      }
      for (const prompt of dynamic[index]?.prompts ?? []) {
        server.registerPrompt(
          prompt.name,
          {
            ...describe(prompt),
            argsSchema: rawSchema(promptSchema(prompt)),
          },
          (args: unknown, ctx: ServerContext) => prompt.get((args ?? {}) as Record<string, string>, callContext(ctx)),
        );
      }
      for (const resource of dynamic[index]?.resources ?? []) {
        server.registerResource(resource.name, resource.uri, describe(resource), (uri, ctx) =>
          resource.read(uri, callContext(ctx)),
        );
      }
      for (const definition of dynamic[index]?.resourceTemplates ?? []) {
        server.registerResource(
          definition.name,
          rawTemplate(definition),
          describe(definition),
          (uri, _variables, ctx) => definition.read(uri, callContext(ctx)),
        );
      }
      if (virtualServer !== undefined && !provider.servesVirtualServers) continue;
      for (const tool of tools) this.registerStaticTool(server, provider, tool, principal, callContext, address);
      for (const resource of resources) {
        server.registerResource(
          resource.name,
          resource.uri,
          {
            ...describe(resource),
            ...(resource.cache && { cacheHint: { ttlMs: resource.cache.ttlMs, cacheScope } }),
          },
          (uri, ctx) => resource.read(uri, callContext(ctx)),
        );
      }
      for (const { definition, template } of templates) {
        server.registerResource(
          definition.name,
          template,
          {
            ...describe(definition),
            ...(definition.cache && { cacheHint: { ttlMs: definition.cache.ttlMs, cacheScope } }),
          },
          (uri, variables, ctx) => definition.read(uri, variables, callContext(ctx)),
        );
      }
    }
    return server;
  }

  private registerStaticTool(
    server: McpServer,
    provider: McpProvider,
    tool: PreparedTool,
    principal: Principal | null,
    callContext: (ctx: ServerContext) => McpCallContext,
    address: string | undefined,
  ): void {
    const { definition } = tool;
    if (this.options.access && !this.options.access.canSee(principal, undefined, definition.name)) return;
    server.registerTool(
      definition.name,
      {
        description: definition.description,
        inputSchema: tool.input,
        ...(tool.output && { outputSchema: tool.output }),
        ...(definition.title !== undefined && { title: definition.title }),
        ...(definition.annotations && { annotations: definition.annotations }),
      },
      (args: unknown, ctx: ServerContext) => this.runTool(provider, definition, args, callContext(ctx), address),
    );
  }

  private registerRawTool(
    server: McpServer,
    provider: McpProvider,
    tool: McpRawTool,
    callContext: (ctx: ServerContext) => McpCallContext,
    legacySession: string | undefined,
  ): void {
    server.registerTool(
      tool.name,
      {
        ...(tool.description !== undefined && { description: tool.description }),
        inputSchema: rawSchema(tool.inputSchema),
        ...(tool.outputSchema && { outputSchema: rawSchema(tool.outputSchema) }),
        ...(tool.title !== undefined && { title: tool.title }),
        ...(tool.annotations && { annotations: tool.annotations }),
      },
      async (args: unknown, ctx: ServerContext) => {
        const context = callContext(ctx);
        // A 2025 session's call can be cancelled by a later notifications/cancelled POST (cancellations.ts).
        const release =
          legacySession === undefined ? undefined : this.cancellations.watch(legacySession, ctx.mcpReq.id, context);
        try {
          return await tool.call(args as Record<string, unknown> | undefined, context);
        } catch (error) {
          if (error instanceof WharfError) return toolError(toolErrorText(error));
          this.options.logger.error({ err: error, provider: provider.id, tool: tool.name }, 'MCP tool failed');
          return toolError(`${tool.name} failed unexpectedly; the server log has the details`);
        } finally {
          release?.();
        }
      },
    );
  }

  /** How this call's client can answer input requests: on its session's stream (2025) or by retrying (2026). */
  private clientInput(
    server: McpServer,
    ctx: ServerContext,
    context: McpCallContext,
    legacySession: string | undefined,
  ): McpClientInput {
    if (context.era === 'modern') {
      const capabilities = envelopeCapabilities(ctx);
      const subject = context.principal?.subject ?? null;
      return {
        era: 'modern',
        supports: (method, params) => declares(capabilities, method, params),
        inputResponses: ctx.mcpReq.inputResponses,
        requestState: ctx.mcpReq.requestState(),
        seal: (call) => this.requestStates.seal(call, subject),
      };
    }
    const session = legacySession === undefined ? undefined : this.options.sessions.verify(legacySession);
    const capabilities = session?.capabilities;
    return {
      era: 'legacy',
      supports: (method, params) => declares(capabilities, method, params),
      ask:
        session && capabilities
          ? (method, params, signal) =>
              this.clientRequests.ask(server.server.transport, ctx.mcpReq.id, session.id, method, params, signal)
          : undefined,
    };
  }

  private async runTool(
    provider: McpProvider,
    tool: McpToolDefinition,
    args: unknown,
    context: McpCallContext,
    address: string | undefined,
  ): Promise<CallToolResult> {
    const access = this.options.access;
    if (!access) return this.invokeTool(provider, tool, args, context);
    const started = performance.now();
    const call = {
      principal: context.principal,
      virtualServer: undefined,
      upstream: provider.id,
      tool: tool.name,
      argumentBytes: args === undefined ? 0 : Buffer.byteLength(JSON.stringify(args)),
      argumentKeys: args !== null && typeof args === 'object' ? Object.keys(args) : undefined,
      clientAddress: address,
    };
    const finish = (outcome: GatewayOutcome, result: CallToolResult, error?: string) => {
      access.record({ ...call, outcome, latencyMs: performance.now() - started, error });
      return result;
    };
    try {
      await access.admit(call);
    } catch (error) {
      if (!(error instanceof WharfError)) throw error;
      const outcome = error.code === 'too_many_requests' ? 'rate_limited' : 'denied';
      const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      const result = toolError(error.detail);
      // Retry information a client (or the model) can act on, without parsing the text.
      if (retryAfter !== undefined) result._meta = { 'dev.wharf/retryAfterSeconds': retryAfter };
      return finish(outcome, result, error.detail);
    }
    const result = await this.invokeTool(provider, tool, args, context);
    const text = result.isError ? result.content.find((c) => c.type === 'text')?.text : undefined;
    return finish(result.isError ? 'tool_error' : 'success', result, text);
  }

  private async invokeTool(
    provider: McpProvider,
    tool: McpToolDefinition,
    args: unknown,
    context: McpCallContext,
  ): Promise<CallToolResult> {
    try {
      return await tool.handler(args as never, context);
    } catch (error) {
      if (error instanceof WharfError) return toolError(toolErrorText(error));
      this.options.logger.error({ err: error, provider: provider.id, tool: tool.name }, 'MCP tool failed');
      return toolError(`${tool.name} failed unexpectedly; the server log has the details`);
    }
  }
}

/**
 * The tool a `tools/call` names, so that a call builds only its own tool, not the whole catalogue. Modern: the SDK
 * has already checked that the Mcp-Method and Mcp-Name headers match the body before it asks for a server. Legacy:
 * read off the body in `post`. Undefined for every other request (and for Base64-encoded names, which no tool name
 * needs).
 */
function calledTool(context: McpRequestContext): string | undefined {
  const request = context.requestInfo;
  if (context.era !== 'modern') return request === undefined ? undefined : legacyCalls.get(request);
  const headers = request?.headers;
  if (headers?.get('mcp-method') !== 'tools/call') return undefined;
  const name = headers.get('mcp-name')?.trim();
  return name !== undefined && TOOL_NAME.test(name) ? name : undefined;
}

/** 2025-era `tools/call` requests by their Request, read off the parsed body before the SDK serves them. */
const legacyCalls = new WeakMap<Request, string>();

/** The tool a single (unbatched) 2025-era `tools/call` message names. */
function legacyToolCall(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const message = body as { method?: unknown; params?: { name?: unknown } };
  if (message.method !== 'tools/call') return undefined;
  const name = message.params?.name;
  return typeof name === 'string' && TOOL_NAME.test(name) ? name : undefined;
}

function describe(definition: { title?: string; description?: string; mimeType?: string }) {
  return {
    ...(definition.title !== undefined && { title: definition.title }),
    ...(definition.description !== undefined && { description: definition.description }),
    ...(definition.mimeType !== undefined && { mimeType: definition.mimeType }),
  };
}

export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** A refusal's text as a tool error result shows it, with its field errors. */
export function toolErrorText(error: WharfError): string {
  const details = (error.errors ?? []).map((detail) => detail.message);
  return details.length > 0 ? `${error.detail}: ${details.join('; ')}` : error.detail;
}

/** Where the Principal rides in AuthInfo.extra (the SDK passes AuthInfo through to the server factory untouched). */
const PRINCIPAL = 'dev.wharf/principal';
const SESSION_HEADER = 'mcp-session-id';
const ADDRESS = 'dev.wharf/address';

/** The SDK carries validated credentials as AuthInfo. */
function authInfoOf(caller: McpCaller): AuthInfo | undefined {
  const address = caller.address === undefined ? {} : { [ADDRESS]: caller.address };
  if (!caller.principal) {
    // Anonymous: AuthInfo only carries the address through the SDK; principalOf still answers null.
    return caller.address === undefined ? undefined : { token: '', clientId: 'anonymous', scopes: [], extra: address };
  }
  return {
    token: caller.token ?? '',
    clientId: caller.principal.subject,
    scopes: caller.principal.permissions.map((p) => `${p.action}:${p.resource}`),
    extra: { [PRINCIPAL]: caller.principal, ...address },
  };
}

function principalOf(authInfo: AuthInfo | undefined): Principal | null {
  return (authInfo?.extra?.[PRINCIPAL] as Principal | undefined) ?? null;
}
