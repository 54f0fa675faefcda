import { requireAdmin, systemStatus } from '../core/admin';
import { effects } from './effects';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/admin/system', async (req) => {
  const { account } = await req.authorize();
  requireAdmin(account.user);
  return { status: 200, body: await systemStatus(effects()) };
});
