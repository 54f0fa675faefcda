import { loadConfig } from './config';
import type { AuthResponse, SessionResponse, StatusResponse, WireError, WireUser } from './wire';

/** A failed API call. `code` is the API's error code, or `network` when no answer came. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

function parseRetryAfter(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const dateMs = Date.parse(header);
  if (Number.isNaN(dateMs)) return null;
  return Math.max(0, Math.ceil((dateMs - Date.now()) / 1000));
}

export type RequestOptions = { method?: 'GET' | 'POST'; token?: string | null; body?: unknown };

/** One API call: JSON in and out, bearer token, `{error}` bodies thrown as ApiError. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let apiUrl: string;
  try {
    ({ apiUrl } = await loadConfig());
  } catch {
    throw new ApiError('network', 'We couldn’t load the app’s settings. Check your connection and try again.', 0);
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(`${apiUrl}/api${path}`, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('network', 'We could not reach the server. Check your connection and try again.', 0);
  }
  if (response.status === 204) return undefined as T;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok) return body as T;
  const retryAfterS = parseRetryAfter(response.headers.get('retry-after'));
  if (isWireError(body)) {
    throw new ApiError(body.error.code, body.error.message, response.status, retryAfterS);
  }
  throw new ApiError(
    response.status >= 500 ? 'unavailable' : 'invalid_response',
    'The server gave an unexpected answer. Please try again in a moment.',
    response.status,
    retryAfterS,
  );
}

export function signup(email: string, password: string): Promise<AuthResponse> {
  return request<AuthResponse>('/auth/signup', { method: 'POST', body: { email, password } });
}

export function login(email: string, password: string): Promise<AuthResponse> {
  return request<AuthResponse>('/auth/login', { method: 'POST', body: { email, password } });
}

export function logout(token: string): Promise<void> {
  return request<void>('/auth/logout', { method: 'POST', token });
}

export function fetchProfile(token: string): Promise<{ user: WireUser }> {
  return request<{ user: WireUser }>('/user/profile', { token });
}

export function fetchStatus(token: string): Promise<StatusResponse> {
  return request<StatusResponse>('/session/status', { token });
}

export function startSession(token: string): Promise<SessionResponse> {
  return request<SessionResponse>('/session/start', { method: 'POST', token });
}

export function stopSession(token: string): Promise<SessionResponse> {
  return request<SessionResponse>('/session/stop', { method: 'POST', token });
}
