// A small HTTP client for the tests: JSON in, status + JSON out.
import type { WireSession, WireUser } from '../../functions/wire';

/** Every body may be an error body; tests check `status` first. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  body: T & ErrorBody;
  headers: Headers;
}

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function api(baseUrl: string) {
  async function call<T = Json>(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = {};
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = { text };
      }
    }
    return { status: res.status, body: parsed as T & ErrorBody, headers: res.headers };
  }
  let counter = 0;
  return {
    call,
    async signup(email?: string, password = 'correct horse battery'): Promise<{ token: string; user: WireUser; email: string; password: string }> {
      const e = email ?? `user${Date.now()}-${process.pid}-${counter++}@example.com`;
      const r = await call<{ token: string; user: WireUser }>('POST', '/api/auth/signup', { body: { email: e, password } });
      if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
      return { ...r.body, email: e, password };
    },
    start: (token: string) => call<{ session: WireSession; user: WireUser }>('POST', '/api/session/start', { token }),
    stop: (token: string) => call<{ session: WireSession; user: WireUser }>('POST', '/api/session/stop', { token }),
    status: (token: string) => call<{ session: WireSession | null; user: WireUser; serverTime: string }>('GET', '/api/session/status', { token }),
    profile: (token: string) => call<{ user: WireUser }>('GET', '/api/user/profile', { token }),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await sleep(intervalMs);
  }
}
