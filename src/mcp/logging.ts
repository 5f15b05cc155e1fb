/**
 * Log messages (`notifications/message`) a handler sends back on the stream of the request it serves, filtered by
 * the level that request's client asked for: 2026-07-28 clients name it per request (`_meta` logLevel; absent means
 * no logs at all), 2025-era clients once per session with `logging/setLevel`. Sessions are self-contained signed ids,
 * so the level a session set is the one piece of session state kept, in this process's memory (LegacyLogLevels).
 */
import { LOG_LEVEL_META_KEY } from '@modelcontextprotocol/server';
import type { LoggingLevel, ServerContext } from '@modelcontextprotocol/server';
import type { McpEra, McpLogMessage, McpLogRelay } from './provider.js';

/** RFC 5424 severities as MCP orders them, least severe first. */
export const LOG_LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];
const SEVERITY = new Map<string, number>(LOG_LEVELS.map((level, index) => [level, index]));

export function isLogLevel(value: unknown): value is LoggingLevel {
  return typeof value === 'string' && SEVERITY.has(value);
}

/** Whether a message of `level` passes a client's `threshold` (unknown levels from an upstream pass as `debug`). */
export function passes(level: string, threshold: LoggingLevel): boolean {
  return (SEVERITY.get(level) ?? 0) >= (SEVERITY.get(threshold) as number);
}

const MAX_SESSIONS = 100_000;

/**
 * The level each 2025-era session set, by session id, on the process that received `logging/setLevel`. Bounded:
 * beyond MAX_SESSIONS the oldest entries are forgotten (those sessions get the default again, no logs).
 */
export class LegacyLogLevels {
  private readonly levels = new Map<string, LoggingLevel>();

  set(session: string, level: LoggingLevel): void {
    this.levels.delete(session);
    this.levels.set(session, level);
    if (this.levels.size > MAX_SESSIONS) {
      const oldest = this.levels.keys().next().value;
      if (oldest !== undefined) this.levels.delete(oldest);
    }
  }

  get(session: string): LoggingLevel | undefined {
    return this.levels.get(session);
  }

  forget(session: string): void {
    this.levels.delete(session);
  }
}

/**
 * The log relay for one request, or undefined when its client wants no logs (then nothing is asked of an upstream
 * and nothing is allocated). Modern: the request's own `_meta` level (the SDK has already refused an invalid one
 * with -32602). Legacy: the level the session set; a session that never set one gets no relayed logs.
 */
export function logRelayOf(
  ctx: ServerContext,
  era: McpEra,
  sessionLevel: LoggingLevel | undefined,
): McpLogRelay | undefined {
  // The SDK lifts the reserved `_meta` keys off the request into `envelope` before handlers run.
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const requested = era === 'modern' ? envelope?.[LOG_LEVEL_META_KEY] : sessionLevel;
  if (!isLogLevel(requested)) return undefined;
  return {
    level: requested,
    send: (message: McpLogMessage) => {
      if (!passes(message.level, requested)) return;
      ctx.mcpReq
        .notify({
          method: 'notifications/message',
          params: {
            level: isLogLevel(message.level) ? message.level : 'debug',
            ...(message.logger !== undefined && { logger: message.logger }),
            data: message.data,
          },
        })
        // A client gone mid-call cannot receive logs; the call learns of it through its signal.
        .catch(() => undefined);
    },
  };
}
