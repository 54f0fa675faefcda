import { ApiError } from './api';
import { asSentence } from './format';

/** A failed request as a sentence for people; `what` names what failed to load or happen. */
export function describeRequestError(error: unknown, what: string): string {
  if (!(error instanceof ApiError)) return `Something went wrong, so ${what}. Please try again.`;
  switch (error.code) {
    case 'network':
      return `We couldn’t reach the server, so ${what}. Check your connection and try again.`;
    case 'rate_limited':
      return error.retryAfterS
        ? `Too many requests in a short time. Try again in ${error.retryAfterS} s.`
        : 'Too many requests in a short time. Wait a moment and try again.';
    case 'unavailable':
    case 'internal':
    case 'invalid_response':
      return `The service is briefly unavailable, so ${what}. Please try again in a moment.`;
    default:
      return asSentence(error.message);
  }
}

export function isApiError(error: unknown, code: string): error is ApiError {
  return error instanceof ApiError && error.code === code;
}

/** 403 from an admin endpoint: the page shows nothing. */
export function isForbidden(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 403 || error.code === 'forbidden');
}
