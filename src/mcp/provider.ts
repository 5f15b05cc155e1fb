/**
 * The provider interface: how a capability (the registry, the context store, the gateway) contributes tools and
 * resources to the shared MCP endpoint. A provider knows nothing about HTTP, sessions or protocol eras; the host
 * (host.ts) serves its definitions to both eras and hands every handler the caller's Principal.
 */
import type {
  CallToolResult,
  CompleteRequestParams,
  CompleteResult,
  GetPromptResult,
  InputRequiredResult,
  LoggingLevel,
  ReadResourceResult,
  ToolAnnotations,
} from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { Principal } from '../auth/authenticator.js';
import type { McpClientInput } from './input-required.js';

export type McpEra = 'modern' | 'legacy';

/** What a handler learns about the call it serves. */
export interface McpCallContext {
  /** The authenticated caller, or null when the request carried no credentials. */
  principal: Principal | null;
  /** `modern` for 2026-07-28 requests, `legacy` for 2025-era ones. */
  era: McpEra;
  /** Aborted when the client cancels (closing a modern response stream is a cancellation). */
  signal: AbortSignal;
  /** The virtual server (`/mcp/{name}`) the request came through; undefined at `/mcp`. */
  virtualServer?: string | undefined;
  /** The client's IP address when the HTTP edge knew it (for audit records). */
  clientAddress?: string | undefined;
  /**
   * Present only when the client asked for progress (its request carried a progress token): sends a
   * `notifications/progress` for that token on the request's own stream.
   */
  progress?: ((update: McpProgress) => void) | undefined;
  /** The client's means of answering input requests (elicitation, sampling, roots); set for run-time tools. */
  input?: McpClientInput | undefined;
  /**
   * Present only when the client wants log messages for this request (modern: `_meta` logLevel; legacy: the
   * session's `logging/setLevel`): sends `notifications/message` on the request's own stream, filtered by its level.
   */
  log?: McpLogRelay | undefined;
}

/** One log message, as `notifications/message` carries it. */
export interface McpLogMessage {
  level: string;
  logger?: string | undefined;
  data: unknown;
}

export interface McpLogRelay {
  /** The least severe level the client wants. */
  level: LoggingLevel;
  /** Relays a message when it is at least `level` (others are dropped). */
  send(message: McpLogMessage): void;
}

/** One progress update, as `notifications/progress` carries it (without the token, which the host supplies). */
export interface McpProgress {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

export interface McpTool<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  /** 1–128 characters of `[A-Za-z0-9_.-]`, unique across every provider. */
  name: string;
  title?: string;
  description: string;
  /** Arguments; invalid ones reach the client as an `isError` result naming the problem, never as a crash. */
  input: Input;
  /** When present, successful results must carry `structuredContent` matching it. */
  output?: Output;
  annotations?: ToolAnnotations;
  /**
   * Runs the tool. Throwing a WharfError (notFound, badRequest…) yields an `isError` result with its message;
   * anything else is logged and answered with a generic `isError` result.
   */
  handler(args: z.output<Input>, context: McpCallContext): Promise<CallToolResult>;
}

/** A tool with its types erased, as the host stores it. Build one with `defineTool`. */
export type McpToolDefinition = McpTool<z.ZodObject, z.ZodObject>;

/** Keeps the handler's argument type tied to the input schema while letting providers list tools in one array. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  tool: McpTool<Input, Output>,
): McpToolDefinition {
  return tool as unknown as McpToolDefinition;
}

/** Cache lifetime advertised on 2026-07-28 results (`ttlMs`); the host picks the scope from the caller. */
export interface McpCacheTtl {
  ttlMs: number;
}

export interface McpResource {
  name: string;
  uri: string;
  title?: string;
  description?: string;
  mimeType?: string;
  cache?: McpCacheTtl;
  read(uri: URL, context: McpCallContext): Promise<ReadResourceResult>;
}

export interface McpResourceTemplate {
  name: string;
  /** RFC 6570 template; `{var}` values arrive percent-encoded, exactly as they appear in the URI. */
  uriTemplate: string;
  title?: string;
  description?: string;
  mimeType?: string;
  cache?: McpCacheTtl;
  /** Throw `ResourceNotFoundError` (from the SDK) for a URI that names nothing. */
  read(uri: URL, variables: Record<string, string | string[]>, context: McpCallContext): Promise<ReadResourceResult>;
}

/**
 * A tool described by raw JSON Schema rather than zod, as a proxied upstream's tools are. The host passes arguments
 * through unvalidated: the tool's own server validates them.
 */
export interface McpRawTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: ToolAnnotations;
  /** May answer `input_required` (2026-07-28 clients only: `context.input.era === 'modern'`). */
  call(
    args: Record<string, unknown> | undefined,
    context: McpCallContext,
  ): Promise<CallToolResult | InputRequiredResult>;
}

/** A resource contributed at run time (a proxied upstream's), read through its provider. */
export interface McpRawResource {
  name: string;
  uri: string;
  title?: string;
  description?: string;
  mimeType?: string;
  read(uri: URL, context: McpCallContext): Promise<ReadResourceResult>;
}

/** A resource template contributed at run time (a proxied upstream's), read through its provider. */
export interface McpRawResourceTemplate {
  name: string;
  /** RFC 6570 template; a `resources/read` of a URI it matches is routed to `read`. */
  uriTemplate: string;
  title?: string;
  description?: string;
  mimeType?: string;
  read(uri: URL, context: McpCallContext): Promise<ReadResourceResult>;
}

/** A prompt contributed at run time, with its arguments as the wire lists them. */
export interface McpRawPrompt {
  name: string;
  title?: string;
  description?: string;
  arguments: readonly { name: string; description?: string; required?: boolean }[];
  get(args: Record<string, string>, context: McpCallContext): Promise<GetPromptResult>;
}

/** What a dynamic provider contributes to one request. */
export interface McpDynamicContent {
  tools: readonly McpRawTool[];
  resources?: readonly McpRawResource[];
  resourceTemplates?: readonly McpRawResourceTemplate[];
  prompts?: readonly McpRawPrompt[];
  /**
   * Argument completion for this provider's prompts and resource templates (declares `completions`): the result,
   * or undefined when the reference is not this provider's.
   */
  complete?(params: CompleteRequestParams, context: McpCallContext): Promise<CompleteResult | undefined>;
  /**
   * One more subscriber of a resource URI (declares `resources.subscribe`); throws for a URI it does not serve.
   * Resolves with the function that ends this subscription; updates reach the host's `notifyResourceUpdated`.
   */
  subscribe?(uri: string): Promise<() => Promise<void>>;
}

/** Where a request arrived: the main endpoint, or a virtual server `/mcp/{name}`. */
export interface McpRequestScope {
  principal: Principal | null;
  era: McpEra;
  virtualServer: string | undefined;
}

export interface McpProvider {
  /** Short identifier used in logs and errors (e.g. `registry`). */
  id: string;
  /**
   * Whether this caller sees the provider at all. Lists may vary by authorization (never by connection), so a
   * private registry can hide its tools from anonymous callers. Default: everyone.
   */
  availableTo?(principal: Principal | null): boolean;
  tools?: readonly McpToolDefinition[];
  resources?: readonly McpResource[];
  resourceTemplates?: readonly McpResourceTemplate[];
  /**
   * Contents that change at run time (the gateway's upstream tools), read for every request. Keep it cheap (serve
   * from memory); the same arrays may be returned again while nothing changed.
   */
  dynamic?(scope: McpRequestScope): Promise<McpDynamicContent>;
  /** Whether the static tools and resources above are served at a virtual server (default: only at `/mcp`). */
  servesVirtualServers?: boolean;
}
