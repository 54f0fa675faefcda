import { parseUserId, requireAdmin, userDetail } from '../core/admin';
import { effects } from './effects';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/admin/user', async (req) => {
  const { claims, account } = await req.authorize();
  requireAdmin(account.user);
  const userId = parseUserId(req.query('id'));
  return { status: 200, body: await userDetail(claims.userId, userId, effects().periodMs) };
});
