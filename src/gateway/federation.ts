/**
 * Federation: the merged view of every upstream's tools, served through the MCP host as a dynamic provider, and the
 * routing of each call to its upstream. Upstream connections are pooled by (alias, URL, credentials) and shared by
 * all downstream callers; a slow or dead upstream only ever costs its own connect timeout, once, and its tools are
 * simply absent until it is back.
 */
import { createHash } from 'node:crypto';
import type { CallToolResult, InputRequiredResult, Prompt, Tool } from '@modelcontextprotocol/client';
import { WharfError } from '../platform/errors.js';
import { createOutboundClient } from '../platform/net/outbound.js';
import type { OutboundClient } from '../platform/net/outbound.js';
import type { Logger } from '../platform/observability/logger.js';
import type {
  McpCallContext,
  McpDynamicContent,
  McpRawPrompt,
  McpRawResource,
  McpRawResourceTemplate,
  McpProvider,
  McpRawTool,
  McpRequestScope,
} from '../mcp/provider.js';
import type { GatewayAccess, GatewayOutcome } from './access.js';
import { callWithInput } from './input-requests.js';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import { routeCompletion } from './completion.js';
import { UpstreamSubscriptions } from './subscriptions.js';
import type { CompletionRoutes } from './completion.js';
import { assignNames, namespacedName } from './names.js';
import { CallForwarding } from './call-forwarding.js';
import type { RoutedTool } from './call-forwarding.js';
import type { UpstreamTarget, UpstreamTimeouts, UpstreamStatus } from './upstream.js';
import { UpstreamConnection, UpstreamTimeoutError, UpstreamUnavailableError } from './upstream.js';

export interface VirtualServerDefinition {
  name: string;
  /** Downstream tool names, or `alias__*` for every tool of an upstream. */
  tools: readonly string[];
}

export interface FederationOptions {
  logger: Logger;
  timeouts: UpstreamTimeouts;
  allowPrivateNetworks: boolean;
  access: GatewayAccess;
  clientInfo: { name: string; version: string };
  /** Reads the upstreams (secrets opened) whenever the set changed. */
  loadTargets(): Promise<UpstreamTarget[]>;
  loadVirtualServers(): Promise<VirtualServerDefinition[]>;
  /** Tells downstream subscribers that the merged tool list changed (debounced here). */
  notifyToolsChanged(): void;
  /** Tells the downstream subscribers of a (downstream) resource URI that it changed. */
  notifyResourceUpdated?(uri: string): void;
  /** Debounce for list_changed propagation (default 250 ms). */
  debounceMs?: number;
  /**
   * Aliases served without a namespace: their tool and prompt names and resource URIs as the upstream has them
   * (a name another upstream already holds still gets a hash suffix). For fronting one server transparently.
   */
  passthroughAliases?: ReadonlySet<string>;
  /** Aliases spoken to in the 2025-11-25 era only (for upstreams whose 2026-07-28 side is broken). */
  legacyAliases?: ReadonlySet<string>;
}

interface Entry {
  upstream: UpstreamConnection;
  tool: Tool;
  raw: McpRawTool;
  /** Whether the input schema declares `x-mcp-header` parameters (checked by the SDK path only). */
  declaresHeaders: boolean;
}

export class GatewayFederation {
  private connections = new Map<string, UpstreamConnection>();
  /** Upstream URLs come from the registry (user-supplied): the SSRF-guarded client, as for every such request. */
  private readonly http: OutboundClient;
  private view: Entry[] | undefined;
  private byName: Map<string, Entry> | undefined;
  private resources: McpRawResource[] | undefined;
  private templates: McpRawResourceTemplate[] | undefined;
  private prompts: McpRawPrompt[] | undefined;
  /** Downstream prompt name → its upstream and original name (filled with the prompt view). */
  private promptRoutes = new Map<string, { upstream: UpstreamConnection; name: string }>();
  private virtualServers = new Map<string, VirtualServerDefinition>();
  private syncing: Promise<void> | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly subscriptions = new UpstreamSubscriptions();

  constructor(private readonly options: FederationOptions) {
    this.http = createOutboundClient({
      allowPrivateNetworks: options.allowPrivateNetworks,
      userAgent: `${options.clientInfo.name}/${options.clientInfo.version}`,
      timeoutMs: options.timeouts.callMs,
    });
  }

  /** (Re)reads the upstream set; connections whose target did not change are kept. */
  async sync(): Promise<void> {
    const run = async () => {
      const [targets, virtualServers] = await Promise.all([
        this.options.loadTargets(),
        this.options.loadVirtualServers(),
      ]);
      this.virtualServers = new Map(virtualServers.map((v) => [v.name, v]));
      const next = new Map<string, UpstreamConnection>();
      for (const target of targets) {
        const key = poolKey(target);
        next.set(key, this.connections.get(key) ?? this.connect(target));
      }
      for (const [key, connection] of this.connections) if (!next.has(key)) void connection.close();
      this.connections = next;
      this.invalidate();
    };
    // Serialised: two admin writes in a row must not race two syncs.
    this.syncing = (this.syncing ?? Promise.resolve()).then(run, run);
    await this.syncing;
  }

  /** Upstream states by alias, for the admin API. */
  status(): Map<string, UpstreamStatus> {
    return new Map([...this.connections.values()].map((c) => [c.alias, c.status()]));
  }

  hasVirtualServer(name: string): boolean {
    return this.virtualServers.has(name);
  }

  /** The downstream name of an upstream item: `alias__name`, or the name itself for a passthrough alias. */
  private nameOf(alias: string, name: string): string {
    return this.options.passthroughAliases?.has(alias) ? name : namespacedName(alias, name);
  }

  /** What downstream URIs of an upstream start with: `alias+`, or nothing for a passthrough alias. */
  private uriPrefixOf(alias: string): string {
    return this.options.passthroughAliases?.has(alias) ? '' : `${alias}+`;
  }

  provider(): McpProvider {
    return { id: 'gateway', dynamic: (scope) => this.contents(scope) };
  }

  /** Call forwarding for modern calls to modern upstreams (McpHost.forwardToolCalls). */
  callForwarding(): CallForwarding {
    return new CallForwarding({
      route: (name, principal, virtualServer) => this.routeTool(name, principal, virtualServer),
      access: this.options.access,
      http: this.http,
    });
  }

  /**
   * The upstream tool a caller may call under `name`, with the same visibility rules as the merged list. Undefined
   * before the first connection attempts (the SDK path waits for them) and for names that are not federated.
   */
  private routeTool(
    name: string,
    principal: McpRequestScope['principal'],
    virtualServer: string | undefined,
  ): RoutedTool | undefined {
    if (this.syncing === undefined) return undefined;
    for (const connection of this.connections.values()) if (!connection.attempted) return undefined;
    const entry = this.entryNamed(name);
    if (!entry) return undefined;
    if (virtualServer !== undefined) {
      const virtual = this.virtualServers.get(virtualServer);
      if (!virtual || !selects(virtual, entry.raw.name, entry.upstream.alias)) return undefined;
    }
    if (!this.options.access.canSee(principal, virtualServer, entry.raw.name)) return undefined;
    return { upstream: entry.upstream, name: entry.tool.name, declaresHeaders: entry.declaresHeaders };
  }

  private entryNamed(name: string): Entry | undefined {
    this.byName ??= new Map(this.entries().map((entry) => [entry.raw.name, entry]));
    return this.byName.get(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounce);
    await this.subscriptions.closeAll();
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    await this.http.close();
  }

  private async contents(scope: McpRequestScope): Promise<McpDynamicContent> {
    if (this.syncing) await this.syncing;
    // First attempts are awaited (bounded by the connect timeout, in parallel); later reconnects run in the background.
    const pending = [...this.connections.values()].filter((c) => !c.attempted);
    if (pending.length > 0) await Promise.all(pending.map((c) => c.ready()));
    const all = this.entries();
    const { access } = this.options;
    const virtual = scope.virtualServer === undefined ? undefined : this.virtualServers.get(scope.virtualServer);
    if (scope.virtualServer !== undefined && !virtual) return { tools: [] };
    const tools: McpRawTool[] = [];
    for (const entry of all) {
      if (virtual && !selects(virtual, entry.raw.name, entry.upstream.alias)) continue;
      if (!access.canSee(scope.principal, scope.virtualServer, entry.raw.name)) continue;
      tools.push(entry.raw);
    }
    // Resources are served at the main endpoint only; virtual servers select tools.
    return virtual
      ? { tools }
      : {
          tools,
          resources: this.resourceView(),
          resourceTemplates: this.templateView(),
          prompts: this.promptView(),
          // `completions` is declared only while some upstream offers it.
          ...([...this.connections.values()].some((c) => c.capabilities()?.completions) && {
            complete: (params, context) => routeCompletion(params, this.completionRoutes, context.signal),
          }),
          ...([...this.connections.values()].some((c) => c.capabilities()?.resources?.subscribe) && {
            subscribe: (uri) => this.subscribe(uri),
          }),
        };
  }

  /**
   * Upstream resources under `<alias>+<original URI>` (the original URI stays readable inside), so two upstreams
   * can offer the same URI and a read goes to the right one. Recomputed only after a change.
   */
  private resourceView(): McpRawResource[] {
    if (this.resources) return this.resources;
    const seen = new Set<string>();
    const out: McpRawResource[] = [];
    for (const upstream of this.connections.values()) {
      for (const resource of upstream.currentResources()) {
        const uri = `${this.uriPrefixOf(upstream.alias)}${resource.uri}`;
        if (seen.has(uri)) continue;
        seen.add(uri);
        out.push({
          name: this.nameOf(upstream.alias, resource.name),
          uri,
          ...(resource.title !== undefined && { title: resource.title }),
          ...(resource.description !== undefined && { description: resource.description }),
          ...(resource.mimeType !== undefined && { mimeType: resource.mimeType }),
          read: async (_uri, context) => {
            const result = await upstream.readResource(resource.uri, context.signal);
            return { ...result, contents: result.contents.map((content) => ({ ...content, uri })) };
          },
        });
      }
    }
    out.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    this.resources = out;
    return out;
  }

  /**
   * Upstream resource templates under the same `<alias>+<template>` scheme as resources: a read of a URI one of them
   * matches goes to its upstream with the prefix removed, and the contents come back under the prefixed URIs.
   */
  private templateView(): McpRawResourceTemplate[] {
    if (this.templates) return this.templates;
    const seen = new Set<string>();
    const out: McpRawResourceTemplate[] = [];
    for (const upstream of this.connections.values()) {
      const prefix = this.uriPrefixOf(upstream.alias);
      for (const template of upstream.currentResourceTemplates()) {
        const uriTemplate = `${prefix}${template.uriTemplate}`;
        if (seen.has(uriTemplate)) continue;
        seen.add(uriTemplate);
        out.push({
          name: this.nameOf(upstream.alias, template.name),
          uriTemplate,
          ...(template.title !== undefined && { title: template.title }),
          ...(template.description !== undefined && { description: template.description }),
          ...(template.mimeType !== undefined && { mimeType: template.mimeType }),
          read: async (uri, context) => {
            const requested = prefix !== '' && uri.href.startsWith(prefix) ? uri.href.slice(prefix.length) : uri.href;
            const result = await upstream.readResource(requested, context.signal);
            return {
              ...result,
              contents: result.contents.map((content) => ({ ...content, uri: prefix + content.uri })),
            };
          },
        });
      }
    }
    out.sort((a, b) => (a.uriTemplate < b.uriTemplate ? -1 : a.uriTemplate > b.uriTemplate ? 1 : 0));
    this.templates = out;
    return out;
  }

  /** Upstream prompts as `<alias>__<name>` (collision-free like tools), routed to their upstream. */
  private promptView(): McpRawPrompt[] {
    if (this.prompts) return this.prompts;
    const items: { upstream: UpstreamConnection; alias: string; name: string; prompt: Prompt }[] = [];
    for (const upstream of this.connections.values()) {
      for (const prompt of upstream.currentPrompts()) {
        items.push({ upstream, alias: upstream.alias, name: prompt.name, prompt });
      }
    }
    const names = assignNames(items, (item) => this.nameOf(item.alias, item.name));
    this.promptRoutes = new Map(
      items.map(({ upstream, prompt }, index) => [names[index] as string, { upstream, name: prompt.name }]),
    );
    const out = items.map(({ upstream, prompt }, index): McpRawPrompt => ({
      name: names[index] as string,
      ...(prompt.title !== undefined && { title: prompt.title }),
      ...(prompt.description !== undefined && { description: prompt.description }),
      arguments: (prompt.arguments ?? []).map((arg) => ({
        name: arg.name,
        ...(arg.description !== undefined && { description: arg.description }),
        ...(arg.required !== undefined && { required: arg.required }),
      })),
      get: (args, context) => upstream.getPrompt(prompt.name, args, context.signal),
    }));
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.prompts = out;
    return out;
  }

  private readonly completionRoutes: CompletionRoutes = {
    prompt: (name) => {
      this.promptView();
      return this.promptRoutes.get(name);
    },
    resource: (uri) => this.upstreamOfUri(uri),
  };

  /** The upstream serving a downstream resource URI or template, and the URI as the upstream knows it. */
  private upstreamOfUri(uri: string): { upstream: UpstreamConnection; uri: string } | undefined {
    for (const upstream of this.connections.values()) {
      const prefix = this.uriPrefixOf(upstream.alias);
      if (!uri.startsWith(prefix)) continue;
      const original = uri.slice(prefix.length);
      if (
        upstream.currentResourceTemplates().some((template) => template.uriTemplate === original) ||
        upstream.currentResources().some((resource) => resource.uri === original)
      )
        return { upstream, uri: original };
    }
    return undefined;
  }

  /** The merged list, recomputed only after a change. */
  private entries(): Entry[] {
    if (this.view) return this.view;
    const items: { upstream: UpstreamConnection; tool: Tool; alias: string; name: string }[] = [];
    for (const upstream of this.connections.values()) {
      for (const tool of upstream.currentTools())
        items.push({ upstream, tool, alias: upstream.alias, name: tool.name });
    }
    const names = assignNames(items, (item) => this.nameOf(item.alias, item.name));
    const entries = items.map((item, index) => {
      const name = names[index] as string;
      return {
        upstream: item.upstream,
        tool: item.tool,
        raw: this.rawTool(name, item.upstream, item.tool),
        declaresHeaders: JSON.stringify(item.tool.inputSchema).includes('"x-mcp-header"'),
      };
    });
    entries.sort((a, b) => (a.raw.name < b.raw.name ? -1 : a.raw.name > b.raw.name ? 1 : 0));
    this.view = entries;
    return entries;
  }

  private rawTool(name: string, upstream: UpstreamConnection, tool: Tool): McpRawTool {
    return {
      name,
      ...(tool.title !== undefined && { title: tool.title }),
      description: tool.description ?? '',
      inputSchema: tool.inputSchema as Record<string, unknown>,
      ...(tool.outputSchema && { outputSchema: tool.outputSchema as Record<string, unknown> }),
      ...(tool.annotations && { annotations: tool.annotations }),
      call: (args, context) => this.call(upstream, tool.name, name, args, context),
    };
  }

  private async call(
    upstream: UpstreamConnection,
    upstreamName: string,
    name: string,
    args: Record<string, unknown> | undefined,
    context: McpCallContext,
  ): Promise<CallToolResult | InputRequiredResult> {
    const { access } = this.options;
    const call = {
      principal: context.principal,
      virtualServer: context.virtualServer,
      upstream: upstream.alias,
      tool: name,
      argumentBytes: args === undefined ? 0 : Buffer.byteLength(JSON.stringify(args)),
    };
    const started = performance.now();
    let outcome: GatewayOutcome = 'error';
    let error: string | undefined;
    try {
      try {
        await access.admit(call);
      } catch (refusal) {
        outcome = refusal instanceof WharfError && refusal.status === 429 ? 'rate_limited' : 'denied';
        error = refusal instanceof Error ? refusal.message : String(refusal);
        throw refusal;
      }
      const result = await callWithInput(upstream, upstreamName, name, args, context);
      outcome = 'isError' in result && result.isError ? 'tool_error' : 'success';
      return result;
    } catch (failure) {
      if (failure instanceof WharfError) throw failure;
      error = failure instanceof Error ? failure.message : String(failure);
      if (failure instanceof UpstreamTimeoutError) outcome = 'timeout';
      else if (failure instanceof UpstreamUnavailableError) outcome = 'unavailable';
      return { content: [{ type: 'text', text: error }], isError: true };
    } finally {
      access.record({ ...call, outcome, latencyMs: performance.now() - started, error });
    }
  }

  /** One more downstream subscriber of `uri`: counted on the upstream that serves it (subscriptions.ts). */
  private async subscribe(uri: string): Promise<() => Promise<void>> {
    const route = this.upstreamOfUri(uri) ?? this.upstreamByPrefix(uri);
    if (!route?.upstream.capabilities()?.resources?.subscribe) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Resource ${uri} cannot be subscribed to here`);
    }
    return this.subscriptions.acquire(route.upstream, route.uri);
  }

  /** A URI an upstream's template yields (not listed itself), by its `alias+` prefix. */
  private upstreamByPrefix(uri: string): { upstream: UpstreamConnection; uri: string } | undefined {
    for (const upstream of this.connections.values()) {
      const prefix = this.uriPrefixOf(upstream.alias);
      if (prefix !== '' && uri.startsWith(prefix)) return { upstream, uri: uri.slice(prefix.length) };
    }
    return undefined;
  }

  private relayResourceUpdated(upstream: UpstreamConnection, uri: string): void {
    if (this.closed || !this.subscriptions.watches(upstream, uri)) return;
    this.options.notifyResourceUpdated?.(`${this.uriPrefixOf(upstream.alias)}${uri}`);
  }

  private connect(target: UpstreamTarget): UpstreamConnection {
    const connection: UpstreamConnection = new UpstreamConnection({
      target,
      timeouts: this.options.timeouts,
      fetch: this.http.webFetch,
      logger: this.options.logger,
      clientInfo: this.options.clientInfo,
      legacyOnly: this.options.legacyAliases?.has(target.alias) ?? false,
      onToolsChanged: () => this.invalidate(),
      onResourceUpdated: (uri) => this.relayResourceUpdated(connection, uri),
    });
    return connection;
  }

  /** Drops the merged view and tells downstream subscribers, once per burst of changes. */
  private invalidate(): void {
    this.view = undefined;
    this.byName = undefined;
    this.resources = undefined;
    this.templates = undefined;
    this.prompts = undefined;
    if (this.closed || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      if (!this.closed) this.options.notifyToolsChanged();
    }, this.options.debounceMs ?? 250);
    this.debounce.unref();
  }
}

function selects(virtual: VirtualServerDefinition, name: string, alias: string): boolean {
  return virtual.tools.some((pattern) => (pattern.endsWith('__*') ? pattern.slice(0, -3) === alias : pattern === name));
}

/** Connections are shared per (alias, URLs, credentials): a change of any of them opens a new one. */
function poolKey(target: UpstreamTarget): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([target.transport, target.url, target.urls ?? [], Object.entries(target.headers).sort()]))
    .digest('base64url');
  return `${target.alias} ${digest}`;
}
