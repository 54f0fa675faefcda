// Rate limits (Upstash's @upstash/ratelimit, sliding windows in Redis) and the Redis cache of
// revoked tokens. A Redis failure here is `unavailable` (503), never a silent pass.
import { Ratelimit } from '@upstash/ratelimit';
import { redis, withRedis } from '../adapters/redis';

export interface LimitState {
  readonly allowed: boolean;
  readonly retryAfterS: number;
}

export interface Limiter {
  /** Counts one event and says whether it was within the limit. */
  limit(identifier: string): Promise<LimitState>;
  /** Says whether one more event would be within the limit, without counting. */
  peek(identifier: string): Promise<LimitState>;
}

const limiters = new Map<string, Promise<Ratelimit>>();

function ratelimit(name: string, max: number, windowS: number): Promise<Ratelimit> {
  const id = `${name}:${max}:${windowS}`;
  let r = limiters.get(id);
  if (r === undefined) {
    r = redis().then(
      (client) =>
        new Ratelimit({
          redis: client,
          limiter: Ratelimit.slidingWindow(max, `${windowS} s`),
          prefix: `rl:${name}`,
          ephemeralCache: false,
          analytics: false,
        }),
    );
    limiters.set(id, r);
  }
  return r;
}

function retryAfter(resetMs: number): number {
  return Math.max(1, Math.ceil((resetMs - Date.now()) / 1000));
}

export function limiter(name: string, max: number, windowS: number): Limiter {
  return {
    limit: (identifier) =>
      withRedis(async () => {
        const r = await (await ratelimit(name, max, windowS)).limit(identifier);
        return { allowed: r.success, retryAfterS: r.success ? 0 : retryAfter(r.reset) };
      }),
    peek: (identifier) =>
      withRedis(async () => {
        const r = await (await ratelimit(name, max, windowS)).getRemaining(identifier);
        return { allowed: r.remaining > 0, retryAfterS: r.remaining > 0 ? 0 : retryAfter(r.reset) };
      }),
  };
}

const revokedKey = (jti: string): string => `revoked:${jti}`;

export async function cacheRevokedToken(jti: string, expiresAtMs: number, nowMs: number): Promise<void> {
  const ttlMs = expiresAtMs - nowMs;
  if (ttlMs <= 0) return;
  await withRedis((r) => r.set(revokedKey(jti), '1', { px: ttlMs }));
}

export async function isRevokedInCache(jti: string): Promise<boolean> {
  return withRedis(async (r) => (await r.exists(revokedKey(jti))) === 1);
}
