import { credentialsSchema, isAdmin, login } from '../core/auth';
import { toWireUser } from '../core/present';
import { httpHandler } from './http';

export const handler = httpHandler('POST /api/auth/login', async (req) => {
  const input = req.body(credentialsSchema);
  const { token, user } = await login(input, req.sourceIp, req.nowMs);
  return { status: 200, body: { token, user: toWireUser(user, isAdmin(user.email)) } };
});
