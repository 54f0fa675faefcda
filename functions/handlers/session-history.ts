import { parsePageQuery, sessionHistory } from '../core/history';
import { effects } from './effects';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/session/history', async (req) => {
  const { claims } = await req.authorize();
  const page = parsePageQuery(req.query('cursor'), req.query('limit'));
  return { status: 200, body: await sessionHistory(claims.userId, page, effects().periodMs) };
});
