import { ledgerHistory, parsePageQuery } from '../core/history';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/credits/ledger', async (req) => {
  const { claims } = await req.authorize();
  const page = parsePageQuery(req.query('cursor'), req.query('limit'));
  return { status: 200, body: await ledgerHistory(claims.userId, page) };
});
