/**
 * The error catalogue. Services throw `WharfError`s; the HTTP edge turns them into problem+json
 * bodies in the official registry's shape ({title, status, detail, errors?}) in one place.
 */
export interface ErrorDetail {
  message: string;
  location?: string;
  value?: unknown;
}

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'too_many_requests'
  | 'unavailable';

const statusByCode: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  too_many_requests: 429,
  unavailable: 503,
};

export class WharfError extends Error {
  override name = 'WharfError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: ErrorDetail[],
  ) {
    super(detail);
    this.status = statusByCode[code];
  }
}

export const badRequest = (detail: string, errors?: ErrorDetail[]) => new WharfError('bad_request', detail, errors);
export const unauthorized = (detail: string, errors?: ErrorDetail[]) => new WharfError('unauthorized', detail, errors);
export const forbidden = (detail: string) => new WharfError('forbidden', detail);
export const notFound = (detail: string) => new WharfError('not_found', detail);
export const unprocessable = (detail: string, errors?: ErrorDetail[]) =>
  new WharfError('unprocessable', detail, errors);

/** `errors` entries from plain messages, the way the official registry wraps a cause. */
export const causes = (...messages: string[]): ErrorDetail[] => messages.map((message) => ({ message }));
