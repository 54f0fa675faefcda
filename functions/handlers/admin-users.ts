import { listUsers, requireAdmin } from '../core/admin';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/admin/users', async (req) => {
  const { account } = await req.authorize();
  requireAdmin(account.user);
  return { status: 200, body: await listUsers(req.query('q'), req.query('cursor'), req.query('limit')) };
});
