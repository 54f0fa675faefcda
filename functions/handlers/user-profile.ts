import { isAdmin } from '../core/auth';
import { currentStatus } from '../core/sessions';
import { effects } from './effects';
import { httpHandler } from './http';

export const handler = httpHandler('GET /api/user/profile', async (req) => {
  const { account } = await req.authorize();
  // Settles the active session first, so the balance is exact even when no tick has run.
  const status = await currentStatus(account, effects(), isAdmin(account.user.email));
  return { status: 200, body: { user: status.user } };
});
