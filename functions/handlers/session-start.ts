import { startSession } from '../core/sessions';
import { effects } from './effects';
import { httpHandler } from './http';

export const handler = httpHandler('POST /api/session/start', async (req) => {
  const { claims } = await req.authorize();
  return { status: 201, body: await startSession(claims.userId, effects()) };
});
