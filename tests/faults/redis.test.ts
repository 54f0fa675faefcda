// Fault (b): Redis emptied under live sessions — flushed, and killed then restarted empty on the
// same port. This file runs its own redis-server (fixed port) behind the stack's Upstash bridge.
// Redis is never the truth: sessions still end at exactly t0 + B·P (the durable timers fire
// while Redis is down; the tick rebuilds the schedule from PostgreSQL when it is back), a
// revoked token stays revoked, sockets whose records were lost are told to reconnect, and the
// API answers 503 or works from PostgreSQL alone — never a 500, never a hang.
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/free-port';
import { startRedisServer, type RedisServer } from '../../infra/local/redis-server';
import type { ServerMessage } from '../../functions/wire';
import { api, type ApiResult } from '../support/client';
import { connectSocket, refusedStatus, type TestSocket } from '../support/ws-client';
import { audit, ruleViolations, sessionRows, setCredits, sleep, startFaultStack, summary, timed, waitUntil, type FaultStack } from './support/harness';

const periodMs = 100;
const maxAnswerMs = 5000;

let redisPort: number;
let redisServer: RedisServer | undefined;
let stack: FaultStack;
let client: ReturnType<typeof api>;
let upstash: UpstashRedis;

beforeAll(async () => {
  redisPort = await freePort();
  redisServer = await startRedisServer({ port: redisPort });
  stack = await startFaultStack({ periodMs, tickMs: 50, redisUrl: redisServer.url });
  client = api(stack.url);
  upstash = new UpstashRedis({ url: stack.upstashUrl, token: stack.upstashToken, enableTelemetry: false });
});

afterAll(async () => {
  await stack?.stop();
  await redisServer?.stop();
});

/** The redis-server's own process id (INFO server), to kill it as a crash would. */
async function redisPid(url: string): Promise<number> {
  const r = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const info = await r.info('server');
    const match = /process_id:(\d+)/.exec(info);
    if (match?.[1] === undefined) throw new Error('no process_id in INFO');
    return Number(match[1]);
  } finally {
    r.disconnect();
  }
}

async function startRunners(balances: readonly number[]): Promise<{ users: Array<Awaited<ReturnType<typeof client.signup>>>; ids: string[] }> {
  const users = await Promise.all(balances.map(() => client.signup()));
  for (const [i, u] of users.entries()) await setCredits(stack.sql, u.user.id, balances[i] ?? 0);
  const starts = await Promise.all(users.map((u) => client.start(u.token)));
  for (const s of starts) expect(s.status).toBe(201);
  return { users, ids: starts.map((s) => s.body.session.id) };
}

async function expectExhaustedExactly(ids: readonly string[], balances: readonly number[]): Promise<void> {
  await waitUntil(async () => [...(await sessionRows(stack.sql, ids)).values()].every((s) => !s.isActive), 20_000, 'every session to end');
  const rows = await sessionRows(stack.sql, ids);
  const violations: string[] = [];
  for (const [i, id] of ids.entries()) {
    const s = rows.get(id);
    if (s === undefined) throw new Error(`session ${id} missing`);
    violations.push(...ruleViolations(s, balances[i] ?? 0, periodMs));
    expect(s.endReason).toBe('exhausted');
  }
  expect(violations).toEqual([]);
}

/** Sends `{"action":"status"}` and returns the reply; a socket whose record is gone is told to reconnect and closed. */
async function statusReply(socket: TestSocket): Promise<ServerMessage> {
  const before = socket.messages.length;
  socket.send(JSON.stringify({ action: 'status' }));
  await waitUntil(async () => socket.messages.length > before, maxAnswerMs, 'a reply to a status frame');
  const reply = socket.messages[before];
  if (reply === undefined) throw new Error('no reply');
  return reply;
}

describe('Redis emptied under live sessions', () => {
  it('a FLUSHALL: sessions end exactly, the schedule is rebuilt, revocations hold, sockets are told to reconnect', async () => {
    // Prepare
    const balances = [15, 22, 30, 40, 55];
    const { users, ids } = await startRunners(balances);
    const sockets = await Promise.all(users.map((u) => connectSocket(stack.wsUrl, u.token)));
    const revoked = await client.signup();
    expect((await client.call('POST', '/api/auth/logout', { token: revoked.token })).status).toBe(204);
    await sleep(800);

    // Act
    await upstash.flushall();

    // Assess: revocation is PostgreSQL's truth; the flushed records make status frames ask to reconnect.
    expect((await client.profile(revoked.token)).status).toBe(401);
    expect(await refusedStatus(stack.wsUrl, revoked.token)).toBe(401);
    const reply = await statusReply(sockets[0] as TestSocket);
    expect(reply).toEqual({ type: 'error', error: { code: expect.any(String), message: expect.any(String) } });
    await waitUntil(async () => sockets[0]?.ws.readyState === sockets[0]?.ws.CLOSED, 5000, 'the server to close the stale socket');
    const again = await connectSocket(stack.wsUrl, users[4]?.token ?? '');
    await expectExhaustedExactly(ids, balances);
    expect(await upstash.exists('schedule:built')).toBe(1);
    const ended = await again.next((m) => m.type === 'session.ended', 10_000);
    if (ended.type !== 'session.ended') throw new Error('unreachable');
    expect(Date.parse(ended.session.endTime ?? '') - Date.parse(ended.session.startTime)).toBe((balances[4] ?? 0) * periodMs);
    await Promise.all([...sockets, again].map((s) => s.close()));
    expect(await audit(periodMs)).toEqual([]);
    summary('redis-flush', `1 FLUSHALL under ${ids.length} live sessions with ${sockets.length} sockets: all ended exactly at t0 + B·P, schedule rebuilt, revoked token still refused (HTTP and WS), stale socket told to reconnect; audit clean`);
  });

  it('redis-server killed and restarted empty on the same port: no 500, no hang, sessions end on time by their timers', async () => {
    // Prepare: runners whose credits run out while Redis is down, and after it is back.
    const balances = [12, 18, 25, 60, 80];
    const { users, ids } = await startRunners(balances);
    const sockets = await Promise.all(users.slice(3).map((u) => connectSocket(stack.wsUrl, u.token)));
    const idle = await client.signup();
    const revoked = await client.signup();
    expect((await client.call('POST', '/api/auth/logout', { token: revoked.token })).status).toBe(204);
    const t0 = Date.now();
    await sleep(500);

    // Act: kill -9 the redis-server (a crash: no save, no goodbye), hammer the API, start a new empty one.
    if (redisServer === undefined) throw new Error('no redis');
    const pid = await redisPid(redisServer.url);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await redisServer.stop();
    const probes: Array<[string, () => Promise<ApiResult | number>]> = [
      ['GET /api/health', () => client.call('GET', '/api/health')],
      ['GET /api/session/status', () => client.status(users[4]?.token ?? '')],
      ['GET /api/user/profile', () => client.profile(idle.token)],
      ['GET /api/user/profile (revoked)', () => client.profile(revoked.token)],
      ['POST /api/auth/login', () => client.call('POST', '/api/auth/login', { body: { email: idle.email, password: idle.password } })],
      ['POST /api/auth/signup', () => client.call('POST', '/api/auth/signup', { body: { email: `redis-down-${Date.now()}-${Math.random()}@example.com`, password: 'redis down pw' } })],
      ['GET /api/credits/ledger', () => client.call('GET', '/api/credits/ledger', { token: idle.token })],
      ['WS $connect', () => refusedStatus(stack.wsUrl, idle.token)],
    ];
    const answers: Array<{ probe: string; status: number; code: string | undefined; ms: number }> = [];
    while (Date.now() - killedAt < 2500) {
      const round = await Promise.all(
        probes.map(async ([probe, run]) => {
          const { value, ms } = await timed(run);
          return typeof value === 'number' ? { probe, status: value, code: undefined, ms } : { probe, status: value.status, code: value.body?.error?.code, ms };
        }),
      );
      answers.push(...round);
      await sleep(100);
    }
    redisServer = await startRedisServer({ port: redisPort });
    const restartedAt = Date.now();

    // Assess (outage): a 503 `unavailable` where Redis is needed, PostgreSQL alone otherwise; never a 500, quick.
    const allowed: Record<string, number[]> = {
      'GET /api/health': [503],
      'GET /api/session/status': [200],
      'GET /api/user/profile': [200],
      'GET /api/user/profile (revoked)': [401],
      'POST /api/auth/login': [503],
      'POST /api/auth/signup': [503],
      'GET /api/credits/ledger': [200],
      'WS $connect': [503],
    };
    for (const a of answers) {
      expect.soft(allowed[a.probe], `${a.probe} answered ${a.status}`).toContain(a.status);
      if (a.status === 503 && a.probe !== 'WS $connect') expect.soft(a.code).toBe('unavailable');
      expect.soft(a.ms, `${a.probe} answer time`).toBeLessThan(maxAnswerMs);
    }
    expect(answers.every((a) => a.status < 500 || a.status === 503)).toBe(true);
    // The revoked token never worked, with or without its cache.
    expect(answers.filter((a) => a.probe.includes('revoked')).every((a) => a.status === 401)).toBe(true);

    // Sessions that ran out while Redis was down ended on time by their durable timers (no tick could find them).
    await expectExhaustedExactly(ids, balances);
    const rows = await sessionRows(stack.sql, ids);
    const endedDuringOutage = [...rows.values()].filter((s) => s.endMs !== null && s.endMs > killedAt && s.endMs < restartedAt);
    expect(endedDuringOutage.length).toBeGreaterThan(0);
    for (const s of endedDuringOutage) expect(s.updatedMs - (s.endMs ?? 0)).toBeLessThan(4000);

    // Back: the schedule was rebuilt from PostgreSQL, the revocation still holds, new sockets work,
    // old sockets (records lost) are told to reconnect.
    expect(await upstash.exists('schedule:built')).toBe(1);
    expect(await refusedStatus(stack.wsUrl, revoked.token)).toBe(401);
    expect((await client.profile(revoked.token)).status).toBe(401);
    const reply = await statusReply(sockets[0] as TestSocket);
    expect(reply.type).toBe('error');
    const fresh = await connectSocket(stack.wsUrl, idle.token);
    const update = await statusReply(fresh);
    expect(update.type).toBe('session.update');
    const login = await client.call('POST', '/api/auth/login', { body: { email: idle.email, password: idle.password } });
    expect(login.status).toBe(200);
    await Promise.all([...sockets, fresh].map((s) => s.close()));
    expect(await audit(periodMs)).toEqual([]);

    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    summary(
      'redis-restart',
      `1 kill -9 of redis-server and a restart empty on the same port (down ${restartedAt - killedAt} ms): ${answers.length} requests meanwhile ` +
        `(${[...statuses.entries()].map(([s, n]) => `${n}×${s}`).join(', ')}; no 500; slowest ${Math.max(...answers.map((a) => a.ms))} ms); ` +
        `${ids.length} live sessions, ${endedDuringOutage.length} ran out while Redis was down and ended by their timers at exactly t0 + B·P ` +
        `(started ${Date.now() - t0} ms before this line); schedule rebuilt; audit clean`,
    );
  });
});
