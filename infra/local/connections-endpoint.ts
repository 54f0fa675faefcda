// The API Gateway management API of the local WebSocket gateway: what the real
// ApiGatewayManagementApiClient calls at `{callback URL}/@connections/{connectionId}`.
//
//   POST   raw body = the message   200 delivered | 410 GoneException | 413 PayloadTooLargeException
//   DELETE                          204 closed    | 410 GoneException
//   GET                             200 {connectedAt, identity:{sourceIp,userAgent}, lastActiveAt} | 410
//
// The gateway mounts it at `/@connections/` and passes the rest of the path as connectionId
// (percent-encoded or not: it is decoded here once).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** API Gateway's limit for one PostToConnection message. */
export const MAX_MESSAGE_BYTES = 128 * 1024;

export interface ConnectionInfo {
  connectedAt: number;
  sourceIp: string;
  userAgent?: string;
  lastActiveAt?: number;
}

export interface ConnectionsEndpointOptions {
  /** Delivers one message; false when there is no such open connection. */
  send(connectionId: string, data: Buffer): boolean;
  /** Closes a connection; false when there is no such open connection. */
  close(connectionId: string): boolean;
  info(connectionId: string): ConnectionInfo | null;
}

export interface ConnectionsEndpoint {
  handle(req: IncomingMessage, res: ServerResponse, connectionId: string): Promise<void>;
}

function reply(
  res: ServerResponse,
  status: number,
  body?: unknown,
  errorType?: string,
  extra: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text !== '' ? { 'content-type': 'application/json' } : {}),
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType !== undefined ? { 'x-amzn-errortype': errorType } : {}),
    ...extra,
  });
  res.end(text);
}

const gone = (res: ServerResponse) => reply(res, 410, { message: 'Gone' }, 'GoneException');
const tooLarge = (res: ServerResponse) =>
  reply(res, 413, { message: `Message too long: at most ${MAX_MESSAGE_BYTES} bytes` }, 'PayloadTooLargeException', {
    connection: 'close',
  });

function decodeId(raw: string): string | null {
  const id = (raw.split('?')[0] ?? '').replace(/^\/+|\/+$/g, '');
  try {
    const decoded = decodeURIComponent(id);
    return decoded === '' || decoded.includes('/') ? null : decoded;
  } catch {
    return null;
  }
}

/** The body up to the limit, or null (after answering 413) when it is longer. */
async function readMessage(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_MESSAGE_BYTES) {
    tooLarge(res);
    req.resume();
    return null;
  }
  return new Promise<Buffer | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > MAX_MESSAGE_BYTES) {
        over = true;
        chunks.length = 0;
        tooLarge(res);
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

export function createConnectionsEndpoint(opts: ConnectionsEndpointOptions): ConnectionsEndpoint {
  return {
    async handle(req, res, rawConnectionId) {
      try {
        const connectionId = decodeId(rawConnectionId);
        if (connectionId === null) {
          reply(res, 400, { message: 'Invalid connectionId' }, 'BadRequestException');
          return;
        }
        switch (req.method) {
          case 'POST': {
            const data = await readMessage(req, res);
            if (data === null) return;
            if (opts.send(connectionId, data)) reply(res, 200);
            else gone(res);
            return;
          }
          case 'DELETE':
            if (opts.close(connectionId)) reply(res, 204);
            else gone(res);
            return;
          case 'GET': {
            const info = opts.info(connectionId);
            if (info === null) {
              gone(res);
              return;
            }
            reply(res, 200, {
              connectedAt: new Date(info.connectedAt).toISOString(),
              identity: { sourceIp: info.sourceIp, userAgent: info.userAgent ?? '' },
              lastActiveAt: new Date(info.lastActiveAt ?? info.connectedAt).toISOString(),
            });
            return;
          }
          default:
            reply(res, 403, { message: 'Missing Authentication Token' }, 'ForbiddenException');
        }
      } catch (err) {
        // A client that went away mid-body, or a failing callback: answer if still possible.
        try {
          if (!res.headersSent) reply(res, 500, { message: 'Internal server error' }, 'InternalServerErrorException');
          else res.destroy();
        } catch {
          res.destroy();
        }
        if (!(err instanceof Error && 'code' in err && err.code === 'ECONNRESET')) {
          console.error(JSON.stringify({ level: 'ERROR', msg: 'connections endpoint', error: String(err) }));
        }
      }
    },
  };
}
