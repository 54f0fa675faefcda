// $disconnect is best effort: API Gateway may not deliver it, so records also expire.
import { log } from '../core/log';
import { removeConnection } from '../core/push';
import type { WsEvent, WsResult } from './ws';

export async function handler(event: WsEvent): Promise<WsResult> {
  const started = Date.now();
  await removeConnection(event.requestContext.connectionId).catch((err: unknown) => log.warn('ws disconnect cleanup failed', { err }));
  log.info('ws disconnect', { route: '$disconnect', requestId: event.requestContext.requestId, status: 200, durationMs: Date.now() - started });
  return { statusCode: 200 };
}
