/**
 * The Wharf SDK: `import { WharfClient } from 'wharf/sdk'`. Runs on Node ≥ 20 with the global fetch and depends
 * on nothing the server needs (enforced by eslint and test/sdk/boundary.test.ts).
 */
export { DEFAULT_REGISTRY_URL, WharfClient } from './client.js';
export type { CallOptions, WharfClientOptions } from './client.js';
export { WharfApiError, WharfError, WharfNetworkError, WharfTimeoutError } from './errors.js';
export type { Problem, ProblemDetail } from './errors.js';
export type { RetryOptions } from './retry.js';
export { OFFICIAL_META } from './types.js';
export type * from './types.js';
