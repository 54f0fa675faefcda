import { z } from 'zod';
import { endUserSession, requireAdmin, uuidPattern } from '../core/admin';
import { effects } from './effects';
import { httpHandler } from './http';

const endSchema = z.strictObject({
  userId: z.string({ error: 'userId is required.' }).regex(uuidPattern, { error: 'userId must be a user id (a UUID).' }),
});

export const handler = httpHandler('POST /api/admin/session/end', async (req) => {
  const { claims, account } = await req.authorize();
  requireAdmin(account.user);
  const input = req.body(endSchema);
  return { status: 200, body: await endUserSession(claims.userId, input.userId.toLowerCase(), effects()) };
});
