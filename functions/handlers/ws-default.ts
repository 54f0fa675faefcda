// $default: `{"action":"status"}` gets a `session.update` back on this connection. Invalid JSON,
// unknown actions and oversized frames get an error message, never a crash.
import { deleteConnection } from '../adapters/apigw';
import { isAdmin } from '../core/auth';
import { AppError } from '../core/errors';
import { log } from '../core/log';
import { connectionUser, sendToConnection } from '../core/push';
import { currentStatus } from '../core/sessions';
import { readAccount } from '../core/store';
import type { ServerMessage } from '../wire';
import { effects } from './effects';
import type { WsEvent, WsResult } from './ws';

export const maxFrameBytes = 4096;

function parseAction(body: string): string {
  if (Buffer.byteLength(body, 'utf8') > maxFrameBytes) throw new AppError('payload_too_large', `Messages must be at most ${maxFrameBytes} bytes.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AppError('invalid_input', 'Messages must be JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AppError('invalid_input', 'Messages must be JSON objects.');
  const action = (parsed as { action?: unknown }).action;
  if (action !== 'status') throw new AppError('invalid_input', 'Unknown action. The only action is "status".');
  return action;
}

export async function handler(event: WsEvent): Promise<WsResult> {
  const started = Date.now();
  const connectionId = event.requestContext.connectionId;
  let userId: string | undefined;
  let errorCode: string | undefined;
  const raw = event.body ?? '';
  const body = event.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  try {
    parseAction(body);
    const owner = await connectionUser(connectionId);
    if (owner === null) {
      // The record is gone (Redis emptied): close, so the client reconnects and is recorded again.
      // Not `unauthorized`: the token is fine, the browser only has to connect again.
      await sendToConnection(connectionId, { type: 'error', error: { code: 'not_found', message: 'This connection is no longer known. Reconnecting will fix it.' } });
      await deleteConnection(connectionId).catch(() => undefined);
      errorCode = 'not_found';
    } else {
      userId = owner;
      const account = await readAccount(owner, '');
      if (account === null) throw new AppError('unauthorized', 'This account no longer exists.');
      const status = await currentStatus(account, effects(), isAdmin(account.user.email));
      const message: ServerMessage = { type: 'session.update', ...status };
      await sendToConnection(connectionId, message, owner);
    }
  } catch (err) {
    const e = err instanceof AppError ? err : null;
    errorCode = e?.code ?? 'internal';
    if (e === null) log.error('ws message failed', { route: '$default', err });
    await sendToConnection(connectionId, {
      type: 'error',
      error: { code: errorCode, message: e?.message ?? 'Something went wrong on our side.' },
    }).catch(() => undefined);
  }
  log.info('ws message', { route: '$default', requestId: event.requestContext.requestId, userId, status: 200, errorCode, durationMs: Date.now() - started });
  return { statusCode: 200 };
}
