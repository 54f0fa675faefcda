// One error type for expected failures. Handlers map `code` to a status in one place.
export type ErrorCode =
  | 'invalid_input'
  | 'payload_too_large'
  | 'email_taken'
  | 'invalid_credentials'
  | 'rate_limited'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'insufficient_credits'
  | 'session_active'
  | 'no_active_session'
  | 'payment_declined'
  | 'idempotency_conflict'
  | 'unavailable'
  | 'internal';

export const statusOf: Readonly<Record<ErrorCode, number>> = {
  invalid_input: 400,
  payload_too_large: 413,
  email_taken: 409,
  invalid_credentials: 401,
  rate_limited: 429,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  insufficient_credits: 402,
  session_active: 409,
  no_active_session: 404,
  payment_declined: 402,
  idempotency_conflict: 409,
  unavailable: 503,
  internal: 500,
};

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: { retryAfterS?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
