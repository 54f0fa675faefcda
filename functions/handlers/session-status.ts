import { isAdmin } from '../core/auth';
import { currentStatus } from '../core/sessions';
import { effects } from './effects';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/session/status', async (req) => {
  const { account } = await req.authorize();
  return { status: 200, body: await currentStatus(account, effects(), isAdmin(account.user.email)) };
});
