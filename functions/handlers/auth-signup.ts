import { credentialsSchema, isAdmin, signup } from '../core/auth';
import { toWireUser } from '../core/present';
import { httpHandler } from './http';

export const handler = httpHandler('POST /api/auth/signup', async (req) => {
  const input = req.body(credentialsSchema);
  const { token, user } = await signup(input, req.sourceIp, req.nowMs);
  return { status: 201, body: { token, user: toWireUser(user, isAdmin(user.email)) } };
});
