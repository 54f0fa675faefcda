// With the tick switched off (TICK_MS=0), sessions end by their durable timers alone: the real
// SchedulerClient arms a one-time schedule on the local Scheduler endpoint, which fires the
// expire handler at the time.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../functions/wire';
import { api, sleep } from './support/client';
import { auditProblems, setCredits } from './support/ledger';
import { startTestStack, type TestStack } from './support/stack';
import { connectSocket } from './support/ws-client';

const periodMs = 100;
let stack: TestStack;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startTestStack({ periodMs, tickMs: 0, env: { LOG_LEVEL: 'ERROR' } });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());
afterEach(async () => {
  expect(await auditProblems(periodMs)).toEqual([]);
});


describe('durable timers', () => {
  it('end a session at exactly t0 + B·P with no tick, and tell the user within a second', async () => {
    const u = await client.signup();
    await setCredits(stack.sql, u.user.id, 20);
    const socket = await connectSocket(stack.wsUrl, u.token);
    const started = await client.start(u.token);
    const t0 = Date.parse(started.body.session.startTime);
    const ended = await socket.next((m: ServerMessage) => m.type === 'session.ended', 10_000);
    const receivedAt = Date.now();
    if (ended.type !== 'session.ended') throw new Error('unreachable');
    expect(ended.reason).toBe('exhausted');
    expect(Date.parse(ended.session.endTime ?? '') - t0).toBe(20 * periodMs);
    expect(ended.session.creditsConsumed).toBe(20);
    expect(receivedAt - (t0 + 20 * periodMs)).toBeLessThan(1000);
    await socket.close();
  });

  it('is deleted at stop, so it never fires for a stopped session', async () => {
    const { getTimer } = await import('../functions/adapters/scheduler');
    const u = await client.signup();
    const started = await client.start(u.token);
    expect(await getTimer(started.body.session.id)).not.toBeNull();
    await sleep(150);
    await client.stop(u.token);
    expect(await getTimer(started.body.session.id)).toBeNull();
  });

  it('charges nothing extra when the timer fires twice', async () => {
    const { handler } = await import('../functions/handlers/expire');
    const u = await client.signup();
    await setCredits(stack.sql, u.user.id, 5);
    const started = await client.start(u.token);
    await sleep(5 * periodMs + 1200);
    const again = await Promise.all([handler({ sessionId: started.body.session.id }), handler({ sessionId: started.body.session.id })]);
    expect(again.map((r) => r.outcome)).toEqual(['inactive', 'inactive']);
    const s = (await client.status(u.token)).body.session;
    expect(s?.creditsConsumed).toBe(5);
    expect(Date.parse(s?.endTime ?? '') - Date.parse(started.body.session.startTime)).toBe(5 * periodMs);
  });
});
