import { stopSession } from '../core/sessions';
import { effects } from './effects';
import { httpHandler } from './http';

export const handler = httpHandler('POST /api/session/stop', async (req) => {
  const { claims } = await req.authorize();
  return { status: 200, body: await stopSession(claims.userId, effects()) };
});
