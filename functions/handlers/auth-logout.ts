import { logout } from '../core/auth';
import { httpHandler } from './http';

export const handler = httpHandler('POST /api/auth/logout', async (req) => {
  const { claims } = await req.authorize();
  await logout(claims, req.nowMs);
  return { status: 204 };
});
