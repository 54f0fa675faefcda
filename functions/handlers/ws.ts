// Shapes of the API Gateway WebSocket events the three routes receive.
export interface WsEvent {
  requestContext: {
    connectionId: string;
    routeKey: string;
    requestId?: string;
    eventType?: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
    identity?: { sourceIp?: string };
  };
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface WsResult {
  statusCode: number;
  body?: string;
}

export function header(event: WsEvent, name: string): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === name) return v;
  return undefined;
}
