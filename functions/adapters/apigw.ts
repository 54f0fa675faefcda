// The only code that talks to the API Gateway management API (pushes to WebSocket connections).
// The endpoint is the WebSocket stage's callback URL in the cloud and the local gateway's
// origin locally (it serves /@connections/{id} like API Gateway does).
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { config } from '../config';

// Pushes come in bursts (one per connection of every session charged in a tick pass): keep
// connections alive and allow many in flight, well under Lambda's 1,024 file descriptors.
// A burst larger than this queues in the agent and drains over the kept-alive sockets.
const MAX_SOCKETS = 256;

let client: ApiGatewayManagementApiClient | undefined;

function managementClient(): ApiGatewayManagementApiClient {
  if (client !== undefined) return client;
  const c = config();
  const endpoint = c.wsCallbackUrl;
  if (endpoint === undefined) throw new Error('Invalid configuration: WS_CALLBACK_URL is required to push to connections');
  // No AWS endpoint is plain http: that is the local gateway (or LocalStack), which takes any credentials.
  const isLocal = new URL(endpoint).protocol === 'http:';
  client = new ApiGatewayManagementApiClient({
    region: c.awsRegion,
    endpoint,
    ...(isLocal ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: 5_000,
      httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
    },
  });
  return client;
}

function isGone(err: unknown): boolean {
  if (err instanceof GoneException) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status === 410;
}

/** Sends one message to one connection: 'gone' when the connection no longer exists. */
export async function postToConnection(connectionId: string, data: string): Promise<'sent' | 'gone'> {
  try {
    await managementClient().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
    return 'sent';
  } catch (err) {
    if (isGone(err)) return 'gone';
    throw err;
  }
}

/** Closes a connection from the server side; one that is already gone is fine. */
export async function deleteConnection(connectionId: string): Promise<void> {
  try {
    await managementClient().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}
