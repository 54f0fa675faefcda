// The only code that talks to Redis: @upstash/redis over the Upstash REST protocol, in the cloud
// and locally (through the bridge of infra/local). Built once, on first use.
import { Redis } from '@upstash/redis';
import { config } from '../config';
import { AppError } from '../core/errors';

export type RedisPipeline = ReturnType<Redis['pipeline']>;

let clientPromise: Promise<Redis> | undefined;

async function createClient(): Promise<Redis> {
  const c = config();
  let url = c.upstashUrl;
  let token = c.upstashToken;
  if ((url === undefined || token === undefined) && c.upstashSecretArn !== undefined) {
    const { loadSecretJson } = await import('./secrets');
    const secret = await loadSecretJson(c.upstashSecretArn);
    url = secret.url;
    token = secret.token;
  }
  if (url === undefined || token === undefined) {
    throw new Error('Invalid configuration: UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (or UPSTASH_SECRET_ARN) are required');
  }
  return new Redis({
    url,
    token,
    enableTelemetry: false,
    enableAutoPipelining: true,
    // Our values are ids, numbers and JSON we encode ourselves.
    automaticDeserialization: false,
    retry: { retries: 2, backoff: (n) => Math.min(50 * 2 ** n, 400) },
  });
}

export function redis(): Promise<Redis> {
  clientPromise ??= createClient().catch((err: unknown) => {
    clientPromise = undefined;
    throw err;
  });
  return clientPromise;
}

/** Runs a Redis call; a network failure becomes `unavailable` (503) instead of a 500. */
export async function withRedis<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = await redis();
  try {
    return await fn(r);
  } catch (err) {
    throw new AppError('unavailable', 'The cache is unavailable. Try again shortly.', undefined, { cause: err });
  }
}
