// $connect: the token (query string) must be valid, unrevoked and its user must exist; a
// browser's Origin must be the site's. Refused handshakes never reach $default.
import { config } from '../config';
import { authenticateConnection } from '../core/auth';
import { AppError, statusOf } from '../core/errors';
import { log } from '../core/log';
import { recordConnection } from '../core/push';
import { header, type WsEvent, type WsResult } from './ws';

export async function handler(event: WsEvent): Promise<WsResult> {
  const started = Date.now();
  const connectionId = event.requestContext.connectionId;
  let status = 200;
  let userId: string | undefined;
  let errorCode: string | undefined;
  try {
    const origin = header(event, 'origin');
    if (origin !== undefined && !config().allowedOrigins.includes(origin.toLowerCase())) {
      throw new AppError('forbidden', 'This origin may not connect.');
    }
    const claims = await authenticateConnection(event.queryStringParameters?.token ?? undefined, started);
    userId = claims.userId;
    await recordConnection(connectionId, claims.userId);
  } catch (err) {
    if (err instanceof AppError) {
      status = statusOf[err.code];
      errorCode = err.code;
    } else {
      status = 500;
      errorCode = 'internal';
      log.error('ws connect failed', { route: '$connect', err });
    }
  }
  log.info('ws connect', { route: '$connect', requestId: event.requestContext.requestId, userId, status, errorCode, durationMs: Date.now() - started });
  return { statusCode: status };
}
