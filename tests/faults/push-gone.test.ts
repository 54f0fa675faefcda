// Fault (f): a push to a connection that is gone. API Gateway's $disconnect is best effort, so
// Redis may list connections that no longer exist; sockets also vanish in the middle of a burst
// of pushes. A push to a gone connection answers 410 through the real management API client and
// forgets the record; the live connections of the same user still get every message; nothing
// fails and the money is untouched.
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../functions/wire';
import { api } from '../support/client';
import { connectSocket, type TestSocket } from '../support/ws-client';
import { audit, ruleViolations, sessionRows, setCredits, sleep, startFaultStack, summary, waitUntil, type FaultStack } from './support/harness';

const periodMs = 100;

let stack: FaultStack;
let client: ReturnType<typeof api>;
let redis: Redis;

beforeAll(async () => {
  stack = await startFaultStack({ periodMs, tickMs: 50 });
  client = api(stack.url);
  redis = new Redis({ url: stack.upstashUrl, token: stack.upstashToken, enableTelemetry: false });
});
afterAll(async () => stack?.stop());

/** A connection record as $connect writes it, for a connection the gateway does not have. */
async function addStaleConnection(userId: string, connectionId: string): Promise<void> {
  await redis.set(`ws:conn:${connectionId}`, userId, { ex: 600 });
  await redis.sadd(`ws:user:${userId}`, connectionId);
}

describe('a push to a connection that is gone', () => {
  it('forgets gone connections (410), keeps pushing to the live ones, and charges exactly', async () => {
    const { pushToUsers } = await import('../../functions/core/push');
    const { handler: wsDefault } = await import('../../functions/handlers/ws-default');

    // Prepare: 5 users, each with 2 live sockets and 10 stale records (lost $disconnects), and one
    // socket per user that will drop in the middle of the session (its $disconnect is "lost" too).
    const users = await Promise.all(Array.from({ length: 5 }, () => client.signup()));
    const balances = [40, 45, 50, 55, 60];
    for (const [i, u] of users.entries()) await setCredits(stack.sql, u.user.id, balances[i] ?? 0);
    const live: TestSocket[][] = await Promise.all(users.map((u) => Promise.all([connectSocket(stack.wsUrl, u.token), connectSocket(stack.wsUrl, u.token)])));
    const dropping: TestSocket[] = await Promise.all(users.map((u) => connectSocket(stack.wsUrl, u.token)));
    const stale = new Map<string, string[]>();
    for (const [i, u] of users.entries()) {
      const ids = Array.from({ length: 10 }, (_, k) => Buffer.from(`gone-${i}-${k}-${Date.now()}`).toString('base64url'));
      for (const id of ids) await addStaleConnection(u.user.id, id);
      stale.set(u.user.id, ids);
    }

    // Act (1): a direct push to every connection of the 5 users.
    const first = await pushToUsers(users.map((u) => ({ userId: u.user.id, message: { type: 'error', error: { code: 'test', message: 'probe' } } as ServerMessage })));

    // Assess (1): 10 live and 5 dropping delivered, 50 gone, none failed; the records are forgotten.
    expect(first).toEqual({ sent: 15, gone: 50, failed: 0 });
    for (const u of users) {
      for (const id of stale.get(u.user.id) ?? []) {
        expect(await redis.sismember(`ws:user:${u.user.id}`, id)).toBe(0);
        expect(await redis.exists(`ws:conn:${id}`)).toBe(0);
      }
    }

    // Act (2): more stale records, live sessions, and the dropping sockets vanish mid-session
    // (terminated, and their records put back as if $disconnect had never come).
    let staleAgain = 0;
    for (const u of users) {
      for (let k = 0; k < 10; k += 1) {
        await addStaleConnection(u.user.id, Buffer.from(`gone-again-${u.user.id}-${k}`).toString('base64url'));
        staleAgain += 1;
      }
    }
    const starts = await Promise.all(users.map((u) => client.start(u.token)));
    const ids = starts.map((s) => s.body.session.id);
    await sleep(700);
    const droppedIds: string[] = [];
    for (const [i, s] of dropping.entries()) {
      const uid = users[i]?.user.id ?? '';
      const before = new Set((await redis.smembers(`ws:user:${uid}`)).map(String));
      s.ws.terminate();
      await waitUntil(async () => (await redis.scard(`ws:user:${uid}`)) < before.size, 5000, 'the $disconnect of a dropped socket');
      const after = new Set((await redis.smembers(`ws:user:${uid}`)).map(String));
      const gone = [...before].find((id) => !after.has(id));
      if (gone === undefined) throw new Error('no record left with the socket');
      await addStaleConnection(uid, gone);
      droppedIds.push(gone);
    }

    // Assess (2): every session ends exactly; every live socket heard every charge and the end;
    // the stale and dropped records are all forgotten by the pushes.
    await waitUntil(async () => [...(await sessionRows(stack.sql, ids)).values()].every((s) => !s.isActive), 15_000, 'every session to end');
    const rows = await sessionRows(stack.sql, ids);
    const violations: string[] = [];
    for (const [i, id] of ids.entries()) violations.push(...ruleViolations(rows.get(id) as NonNullable<ReturnType<typeof rows.get>>, balances[i] ?? 0, periodMs));
    expect(violations).toEqual([]);
    let liveMessages = 0;
    for (const [i, sockets] of live.entries()) {
      for (const s of sockets) {
        const ended = await s.next((m) => m.type === 'session.ended', 5000);
        if (ended.type !== 'session.ended') throw new Error('unreachable');
        expect(ended.session.creditsConsumed).toBe(balances[i]);
        // Charges come in order, one message per settle, none lost to the gone connections' failures.
        const consumed = s.messages.flatMap((m) => (m.type === 'session.update' && m.session !== null ? [m.session.creditsConsumed] : []));
        expect(consumed).toEqual([...consumed].sort((a, b) => a - b));
        expect(consumed.length).toBeGreaterThan(5);
        liveMessages += s.messages.length;
      }
    }
    // One more push to everyone: a record put back after a user's last charge (a slow machine)
    // is forgotten now; the live sockets all get it and nothing fails.
    const last = await pushToUsers(users.map((u) => ({ userId: u.user.id, message: { type: 'error', error: { code: 'test', message: 'last probe' } } as ServerMessage })));
    expect(last.sent).toBe(10);
    expect(last.failed).toBe(0);
    for (const [i, u] of users.entries()) {
      const members = (await redis.smembers(`ws:user:${u.user.id}`)).map(String);
      expect(members).toHaveLength(2);
      expect(members).not.toContain(droppedIds[i]);
    }

    // A status frame through a connection that is gone: the handler answers without throwing.
    const orphan = await wsDefault({ requestContext: { connectionId: 'bm90LWEtY29ubmVjdGlvbg', routeKey: '$default' }, body: '{"action":"status"}' });
    expect(orphan.statusCode).toBe(200);
    await Promise.all(live.flat().map((s) => s.close()));
    expect(await audit(periodMs)).toEqual([]);
    summary(
      'push-gone',
      `${50 + staleAgain + droppedIds.length} pushes to gone connections (${50 + staleAgain} stale records from lost $disconnects, ${droppedIds.length} sockets dropped mid-session): ` +
        `each answered 410 and was forgotten, 0 failed; ${live.flat().length} live sockets of the same users kept receiving (${liveMessages} messages, charges in order, each saw the end); ` +
        `${ids.length} sessions ended at exactly t0 + B·P; audit clean`,
    );
  });
});
