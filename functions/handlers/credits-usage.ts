import { parseUsageDays, usageByDay } from '../core/history';
import { effects } from './effects';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/credits/usage', async (req) => {
  const { claims } = await req.authorize();
  const days = parseUsageDays(req.query('days'));
  return { status: 200, body: await usageByDay(claims.userId, days, effects().periodMs) };
});
