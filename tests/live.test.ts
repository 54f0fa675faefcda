// Live sessions through the real tick loop, the Redis schedule and WebSocket pushes via the real
// ApiGatewayManagementApiClient against the local gateway, with CREDIT_PERIOD_MS=100.
import { Redis } from '@upstash/redis';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage, SessionEndedMessage } from '../functions/wire';
import { api, sleep, waitFor } from './support/client';
import { auditProblems, setCredits } from './support/ledger';
import { startTestStack, type TestStack } from './support/stack';
import { connectSocket, refusedStatus } from './support/ws-client';

const periodMs = 100;
let stack: TestStack;
let client: ReturnType<typeof api>;
let redis: Redis;



const isEnded = (m: ServerMessage): m is SessionEndedMessage => m.type === 'session.ended';

beforeAll(async () => {
  stack = await startTestStack({ periodMs, tickMs: 50 });
  client = api(stack.url);
  redis = new Redis({ url: stack.upstashUrl, token: stack.upstashToken, enableTelemetry: false });
});
afterAll(async () => stack?.stop());
afterEach(async () => {
  expect(await auditProblems(periodMs)).toEqual([]);
});

describe('a live session', () => {
  it('runs 100 credits out in exactly 10 000 ms and tells the browser', async () => {
    const u = await client.signup();
    const socket = await connectSocket(stack.wsUrl, u.token);
    const started = await client.start(u.token);
    expect(started.status).toBe(201);
    await socket.next((m) => m.type === 'session.update' && m.session?.creditsConsumed === 1);
    const ended = await socket.next(isEnded, 15_000);
    const receivedAt = Date.now();
    if (!isEnded(ended)) throw new Error('unreachable');
    expect(ended.reason).toBe('exhausted');
    expect(ended.session.creditsConsumed).toBe(100);
    expect(ended.user.credits).toBe(0);
    expect(Date.parse(ended.session.endTime ?? '') - Date.parse(ended.session.startTime)).toBe(10_000);
    expect(receivedAt - Date.parse(ended.session.endTime ?? '')).toBeLessThan(1000);
    // Charges arrived as the clock moved, not all at the end.
    const updates = socket.messages.filter((m) => m.type === 'session.update');
    expect(updates.length).toBeGreaterThan(20);
    const { rows } = await stack.sql.query(
      `SELECT extract(epoch FROM end_time - start_time) * 1000 AS ms, credits_consumed FROM sessions WHERE id = $1`,
      [started.body.session.id],
    );
    expect(Number(rows[0].ms)).toBe(10_000);
    expect(rows[0].credits_consumed).toBe(100);
    await socket.close();
  });

  it('charges each boundary within a few tick passes of when it comes', async () => {
    const u = await client.signup();
    await client.start(u.token);
    await sleep(1500);
    await client.stop(u.token);
    const { rows } = await stack.sql.query(
      `SELECT max(extract(epoch FROM created_at - "timestamp") * 1000)::float8 AS late
       FROM credit_logs WHERE user_id = $1 AND reason = 'session_charge'`,
      [u.user.id],
    );
    expect(rows[0].late).toBeLessThan(500);
  });
});

describe('pushes', () => {
  it('reach every device of the user and no one else', async () => {
    const a = await client.signup();
    const b = await client.signup();
    const a1 = await connectSocket(stack.wsUrl, a.token);
    const a2 = await connectSocket(stack.wsUrl, a.token);
    const b1 = await connectSocket(stack.wsUrl, b.token);
    await client.start(a.token);
    await a1.next((m) => m.type === 'session.update' && (m.session?.creditsConsumed ?? 0) >= 3);
    await a2.next((m) => m.type === 'session.update' && (m.session?.creditsConsumed ?? 0) >= 3);
    await client.stop(a.token);
    await a1.next(isEnded);
    await a2.next(isEnded);
    await sleep(200);
    expect(b1.messages).toEqual([]);
    for (const m of [...a1.messages, ...a2.messages]) {
      if (m.type !== 'error') expect(m.user.id).toBe(a.user.id);
    }
    await Promise.all([a1.close(), a2.close(), b1.close()]);
  });

  it('answers {"action":"status"} with a session.update, and bad frames with an error message', async () => {
    const u = await client.signup();
    const s = await connectSocket(stack.wsUrl, u.token);
    s.send(JSON.stringify({ action: 'status' }));
    const update = await s.next((m) => m.type === 'session.update');
    if (update.type !== 'session.update') throw new Error('unreachable');
    expect(update.user.credits).toBe(100);
    expect(update.session).toBeNull();
    for (const frame of ['not json', '[]', '{"action":"drop table"}', JSON.stringify({ action: 'status', pad: 'x'.repeat(10_000) })]) {
      const before = s.messages.length;
      s.send(frame);
      await waitFor(async () => (s.messages.length > before ? true : undefined), 5000);
      const reply = s.messages[before];
      expect(reply?.type).toBe('error');
    }
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    await s.close();
  });

  it('forgets a connection that is gone (410) when pushing to it', async () => {
    const u = await client.signup();
    const live = await connectSocket(stack.wsUrl, u.token);
    await redis.sadd(`ws:user:${u.user.id}`, 'c3RhbGVjb25uZWN0aW9u');
    await redis.set('ws:conn:c3RhbGVjb25uZWN0aW9u', u.user.id);
    await client.start(u.token);
    await live.next((m) => m.type === 'session.update');
    await waitFor(async () => ((await redis.sismember(`ws:user:${u.user.id}`, 'c3RhbGVjb25uZWN0aW9u')) === 0 ? true : undefined), 5000);
    expect(await redis.exists('ws:conn:c3RhbGVjb25uZWN0aW9u')).toBe(0);
    expect(await redis.smembers(`ws:user:${u.user.id}`)).toHaveLength(1);
    await client.stop(u.token);
    await live.close();
  });

  it('removes the connection record at $disconnect', async () => {
    const u = await client.signup();
    const s = await connectSocket(stack.wsUrl, u.token);
    await waitFor(async () => ((await redis.scard(`ws:user:${u.user.id}`)) === 1 ? true : undefined));
    await s.close();
    await waitFor(async () => ((await redis.scard(`ws:user:${u.user.id}`)) === 0 ? true : undefined));
  });
});

describe('$connect', () => {
  it('refuses a missing, malformed, forged, expired, revoked or orphaned token, and a foreign origin', async () => {
    const u = await client.signup();
    expect(await refusedStatus(stack.wsUrl, undefined)).toBe(401);
    expect(await refusedStatus(stack.wsUrl, 'garbage')).toBe(401);
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(u.user.id).setJti('x').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode('not the secret, not the secret, not it'));
    expect(await refusedStatus(stack.wsUrl, forged)).toBe(401);
    const secret = new TextEncoder().encode(process.env.JWT_SECRET ?? '');
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(u.user.id)
      .setJti('expired-token')
      .setIssuer('minute-credits')
      .setAudience('minute-credits')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 90_000)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(secret);
    expect(await refusedStatus(stack.wsUrl, expired)).toBe(401);
    expect(await refusedStatus(stack.wsUrl, u.token, { origin: 'https://evil.example' })).toBe(403);
    expect(await refusedStatus(stack.wsUrl, u.token, { origin: stack.url })).toBe(101);
    const other = await client.signup();
    await client.call('POST', '/api/auth/logout', { token: other.token });
    expect(await refusedStatus(stack.wsUrl, other.token)).toBe(401);
    await redis.flushall();
    expect(await refusedStatus(stack.wsUrl, other.token)).toBe(401);
    const gone = await client.signup();
    await stack.sql.query(`DELETE FROM credit_logs WHERE user_id = $1`, [gone.user.id]);
    await stack.sql.query(`DELETE FROM users WHERE id = $1`, [gone.user.id]);
    expect(await refusedStatus(stack.wsUrl, gone.token)).toBe(401);
  });
});

describe('the schedule', () => {
  it('survives a Redis flush in the middle of a session: ends on time, nothing lost or doubled', async () => {
    const u = await client.signup();
    await setCredits(stack.sql, u.user.id, 30);
    const socket = await connectSocket(stack.wsUrl, u.token);
    const started = await client.start(u.token);
    await sleep(1000);
    await redis.flushall();
    // The socket's record went with the flush; the session still ends exactly on time.
    await waitFor(async () => ((await client.status(u.token)).body.session?.isActive === false ? true : undefined), 10_000);
    const r = await client.status(u.token);
    const s = r.body.session;
    expect(s?.endReason).toBe('exhausted');
    expect(Date.parse(s?.endTime ?? '') - Date.parse(started.body.session.startTime)).toBe(30 * periodMs);
    expect(s?.creditsConsumed).toBe(30);
    expect(await redis.exists('schedule:built')).toBe(1);
    // The browser's next status request finds its connection unknown: it is told and closed, so
    // it reconnects (and is recorded again) — without being signed out.
    const closed = new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ action: 'status' }));
    const reply = await socket.next((m) => m.type === 'error');
    expect(reply.type === 'error' && reply.error.code).toBe('not_found');
    await closed;
    const again = await connectSocket(stack.wsUrl, u.token);
    again.send(JSON.stringify({ action: 'status' }));
    const update = await again.next((m) => m.type === 'session.update');
    expect(update.type === 'session.update' && update.session?.endReason).toBe('exhausted');
    await again.close();
  });

  it('puts back a live session the schedule lost, and leaves a complete schedule alone', async () => {
    const { reconcileSchedule, removeFromSchedule } = await import('../functions/core/schedule');
    const u = await client.signup();
    await setCredits(stack.sql, u.user.id, 100_000);
    const id = (await client.start(u.token)).body.session.id;
    expect(await reconcileSchedule(periodMs)).toBe(0);
    await removeFromSchedule([id]);
    expect(await reconcileSchedule(periodMs)).toBeGreaterThanOrEqual(1);
    expect(await reconcileSchedule(periodMs)).toBe(0);
    expect((await client.stop(u.token)).status).toBe(200);
  });

  it('charges nothing extra when ticks run concurrently and twice', async () => {
    const { tickPass } = await import('../functions/core/tick');
    const { log } = await import('../functions/core/log');
    const users = await Promise.all(Array.from({ length: 8 }, () => client.signup()));
    for (const u of users) await setCredits(stack.sql, u.user.id, 20);
    const starts = await Promise.all(users.map((u) => client.start(u.token)));
    const opts = { periodMs, batchSize: 3, maxBatches: 100, concurrency: 2, log };
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      await Promise.all([tickPass(opts), tickPass(opts), tickPass(opts)]);
    }
    await sleep(300);
    for (const [i, u] of users.entries()) {
      const s = (await client.status(u.token)).body.session;
      expect(s?.endReason).toBe('exhausted');
      expect(s?.creditsConsumed).toBe(20);
      expect(Date.parse(s?.endTime ?? '') - Date.parse(starts[i]?.body.session.startTime ?? '')).toBe(20 * periodMs);
    }
  });

  it('answers a read without queueing behind a writer that holds the session, and settles it once free', async () => {
    const u = await client.signup();
    await stack.pauseTick();
    const holder = await stack.sql.connect();
    try {
      const started = await client.start(u.token);
      const id = started.body.session.id;
      await sleep(3 * periodMs + 20);
      // Another writer holds the session row, as the tick does while it charges a batch.
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [id]);
      // A read that waited for the lock would not answer before the holder ends.
      const held = await client.status(u.token);
      expect(held.status).toBe(200);
      expect(held.body.session?.creditsConsumed).toBe(1);
      expect(held.body.user.credits).toBe(99);
      await holder.query('ROLLBACK');
      const free = await client.status(u.token);
      expect(free.body.session?.creditsConsumed).toBeGreaterThanOrEqual(4);
      expect(free.body.user.credits).toBe(100 - (free.body.session?.creditsConsumed ?? 0));
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
      stack.resumeTick();
    }
  });

  it('loses nothing when a tick dies between PostgreSQL and Redis', async () => {
    const { settleSessions } = await import('../functions/core/store');
    const u = await client.signup();
    await setCredits(stack.sql, u.user.id, 15);
    await stack.pauseTick();
    try {
      const started = await client.start(u.token);
      await sleep(5 * periodMs + 20);
      // The settle commits, then the "tick" dies: Redis still has the old score.
      const [r] = await settleSessions([started.body.session.id], periodMs);
      expect(r?.paid).toBeGreaterThanOrEqual(5);
      const score = await redis.zscore('schedule:sessions', started.body.session.id);
      expect(Number(score)).toBe(Date.parse(started.body.session.startTime) + periodMs);
    } finally {
      stack.resumeTick();
    }
    await waitFor(async () => ((await client.status(u.token)).body.session?.isActive === false ? true : undefined), 10_000);
    const s = (await client.status(u.token)).body.session;
    expect(s?.creditsConsumed).toBe(15);
    expect(s?.endReason).toBe('exhausted');
  });
});
