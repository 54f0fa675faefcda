import { withRedis } from '../adapters/redis';
import { AppError } from '../core/errors';
import { ping } from '../core/store';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/health', async () => {
  const [pg, redis] = await Promise.allSettled([ping(), withRedis((r) => r.ping())]);
  if (pg.status === 'rejected' || redis.status === 'rejected') {
    const down = [pg.status === 'rejected' ? 'PostgreSQL' : null, redis.status === 'rejected' ? 'Redis' : null].filter(Boolean).join(' and ');
    throw new AppError('unavailable', `${down} did not answer.`);
  }
  return { status: 200, body: { status: 'ok' } };
});
