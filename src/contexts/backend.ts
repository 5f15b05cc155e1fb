import type { WharfConfig } from '../config/config.js';
import type { Database } from '../platform/storage/database.js';
import type { ContextStore } from './model.js';
import { SqlContextStore } from './sql-store.js';

/** Redis when configured (`WHARF_CONTEXT_STORE=redis`, or `auto` with a Redis URL), else the main database. */
export async function createContextStore(
  config: WharfConfig,
  database: Database,
  options: { keyPrefix?: string | undefined } = {},
): Promise<ContextStore> {
  const useRedis = config.contexts.store === 'redis' || (config.contexts.store === 'auto' && !!config.redisUrl);
  if (useRedis && config.redisUrl) {
    // Loaded only when used, so processes without Redis never pay for the client library at start.
    const { RedisContextStore } = await import('./redis-store.js');
    return RedisContextStore.connect({
      url: config.redisUrl,
      keyPrefix: options.keyPrefix,
      eventRetentionMs: config.contexts.eventRetentionSeconds * 1000,
    });
  }
  return new SqlContextStore(database);
}
