export { createOutboundClient } from './outbound.js';
export type {
  OutboundClient,
  OutboundClientOptions,
  OutboundRequestInit,
  OutboundResponse,
  OutboundStream,
} from './outbound.js';
export {
  OutboundError,
  OutboundUrlError,
  OutboundBlockedError,
  OutboundTimeoutError,
  OutboundTooLargeError,
  OutboundRedirectError,
  OutboundNetworkError,
} from './errors.js';
export type { OutboundErrorCode } from './errors.js';
export { classifyAddress } from './ip-policy.js';
export type { AddressVerdict } from './ip-policy.js';
export type { Resolver } from './guarded-lookup.js';
