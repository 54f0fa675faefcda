// WebSocket connections (in Redis, with expiry) and pushes to all of a user's connections
// through the API Gateway management API. A `410 Gone` removes the stale connection.
import { postToConnection } from '../adapters/apigw';
import { withRedis } from '../adapters/redis';
import type { ServerMessage } from '../wire';
import { log } from './log';

// API Gateway closes a WebSocket after 2 hours at most; keep the records a little longer.
const connectionTtlS = 2 * 60 * 60 + 600;
const connKey = (connectionId: string): string => `ws:conn:${connectionId}`;
const userKey = (userId: string): string => `ws:user:${userId}`;
const pushConcurrency = 256;

export async function recordConnection(connectionId: string, userId: string): Promise<void> {
  await withRedis(async (r) => {
    const p = r.pipeline();
    p.set(connKey(connectionId), userId, { ex: connectionTtlS });
    p.sadd(userKey(userId), connectionId);
    p.expire(userKey(userId), connectionTtlS);
    await p.exec();
  });
}

export async function connectionUser(connectionId: string): Promise<string | null> {
  return withRedis(async (r) => {
    const v = await r.get<string>(connKey(connectionId));
    return v === null ? null : String(v);
  });
}

export async function removeConnection(connectionId: string, userId?: string): Promise<void> {
  await withRedis(async (r) => {
    const owner = userId ?? (await r.get<string>(connKey(connectionId)));
    const p = r.pipeline();
    p.del(connKey(connectionId));
    if (owner !== null && owner !== undefined) p.srem(userKey(String(owner)), connectionId);
    await p.exec();
  });
}

// Every listed user's connections in one command (a tick batch asks for thousands of users: one
// EVAL instead of a pipeline of SMEMBERS is one command to parse, send and pay for, not thousands).
// The keys are all passed as KEYS, so the script stays correct on a clustered Redis too.
const membersScript = `local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('SMEMBERS', key) end
return out`;
const lookupChunk = 5000;

export async function userConnections(userIds: readonly string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (userIds.length === 0) return result;
  await withRedis(async (r) => {
    for (let i = 0; i < userIds.length; i += lookupChunk) {
      const ids = userIds.slice(i, i + lookupChunk);
      const members = (await r.eval(membersScript, ids.map(userKey), [])) as unknown[][];
      ids.forEach((id, j) => result.set(id, (members[j] ?? []).map(String)));
    }
  });
  return result;
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

export interface PushStats {
  sent: number;
  gone: number;
  failed: number;
}

/** Sends one message to one connection; a gone connection is forgotten. */
export async function sendToConnection(connectionId: string, message: ServerMessage, userId?: string): Promise<'sent' | 'gone' | 'failed'> {
  try {
    const outcome = await postToConnection(connectionId, JSON.stringify(message));
    if (outcome === 'gone') await removeConnection(connectionId, userId).catch(() => undefined);
    return outcome;
  } catch (err) {
    log.warn('push failed', { connectionId, err });
    return 'failed';
  }
}

/**
 * Sends each message to every connection of its user (and only that user's). A message may be
 * given as a function: it is built only when its user has a connection. Never throws.
 */
export async function pushToUsers(messages: ReadonlyArray<{ userId: string; message: ServerMessage | (() => ServerMessage) }>): Promise<PushStats> {
  const stats: PushStats = { sent: 0, gone: 0, failed: 0 };
  if (messages.length === 0) return stats;
  let connections: Map<string, string[]>;
  try {
    connections = await userConnections([...new Set(messages.map((m) => m.userId))]);
  } catch (err) {
    log.warn('push lookup failed', { err });
    stats.failed = messages.length;
    return stats;
  }
  const deliveries: Array<{ connectionId: string; userId: string; message: ServerMessage }> = [];
  for (const m of messages) {
    const ids = connections.get(m.userId) ?? [];
    if (ids.length === 0) continue;
    const message = typeof m.message === 'function' ? m.message() : m.message;
    for (const connectionId of ids) deliveries.push({ connectionId, userId: m.userId, message });
  }
  log.debug('push', { users: messages.length, deliveries: deliveries.length });
  await mapLimit(deliveries, pushConcurrency, async (d) => {
    stats[await sendToConnection(d.connectionId, d.message, d.userId)] += 1;
  });
  return stats;
}
