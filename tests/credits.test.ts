// Top-ups over real HTTP against the local stack (real PostgreSQL, Redis, bridge, gateway, tick,
// Scheduler emulator, WebSocket pushes): the catalogue, idempotent purchases under concurrency,
// a top-up during a live session moving its end to the exact new boundary on every device, and
// the ledger invariant after every scenario. The declined path is in credits-decline.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PurchaseResponse, ServerMessage, SessionEndedMessage, SessionUpdateMessage } from '../functions/wire';
import { api, sleep, type Json } from './support/client';
import { auditProblems, setCredits } from './support/ledger';
import { startTestStack, type TestStack } from './support/stack';
import { connectSocket } from './support/ws-client';

const periodMs = 100;
let stack: TestStack;
let client: ReturnType<typeof api>;



const newKey = (): string => `k_${randomUUID()}`;
const purchase = (token: string | undefined, body: unknown) =>
  client.call<PurchaseResponse & Json>('POST', '/api/credits/purchase', token === undefined ? { body } : { token, body });

async function ledgerRows(userId: string): Promise<Array<{ credits_deducted: number; remaining_credits: number; reason: string }>> {
  const { rows } = await stack.sql.query(
    `SELECT credits_deducted, remaining_credits, reason FROM credit_logs WHERE user_id = $1 ORDER BY id`,
    [userId],
  );
  return rows;
}

const isEnded = (m: ServerMessage): m is SessionEndedMessage => m.type === 'session.ended';

beforeAll(async () => {
  stack = await startTestStack({ periodMs, tickMs: 50 });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());
afterEach(async () => {
  expect(await auditProblems(periodMs)).toEqual([]);
});

describe('the catalogue', () => {
  it('lists the fixed packs, prices in cents, without sign-in', async () => {
    const r = await client.call('GET', '/api/credits/packs');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      packs: [
        { id: 'starter', name: 'Starter', credits: 100, amountCents: 500, currency: 'usd' },
        { id: 'standard', name: 'Standard', credits: 600, amountCents: 2500, currency: 'usd' },
        { id: 'pro', name: 'Pro', credits: 1500, amountCents: 5000, currency: 'usd' },
      ],
    });
  });
});

describe('the payment provider', () => {
  it('is local outside production, and off in production unless one is chosen', async () => {
    const { parseConfig } = await import('../functions/config');
    const secret = 'x'.repeat(32);
    expect(parseConfig({}).paymentProvider).toBe('local');
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).paymentProvider).toBeNull();
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: secret, PAYMENT_PROVIDER: 'local' }).paymentProvider).toBe('local');
    expect(() => parseConfig({ PAYMENT_PROVIDER: 'stripe' })).toThrow(/PAYMENT_PROVIDER/);
  });
});

describe('a purchase', () => {
  it('adds the pack to the balance with one top_up ledger row', async () => {
    const u = await client.signup();
    const r = await purchase(u.token, { pack: 'standard', idempotencyKey: newKey() });
    expect(r.status).toBe(200);
    expect(r.headers.get('idempotent-replayed')).toBe('false');
    expect(r.body.user).toEqual({ id: u.user.id, email: u.email, credits: 700 });
    expect(r.body.purchase).toEqual({
      id: expect.any(String),
      pack: 'standard',
      credits: 600,
      amountCents: 2500,
      currency: 'usd',
      status: 'approved',
      createdAt: expect.any(String),
    });
    expect(r.body.session).toBeNull();
    expect(await ledgerRows(u.user.id)).toEqual([
      { credits_deducted: -100, remaining_credits: 100, reason: 'signup_grant' },
      { credits_deducted: -600, remaining_credits: 700, reason: 'top_up' },
    ]);
    const ledger = await client.call('GET', '/api/credits/ledger', { token: u.token });
    expect(ledger.body.items[0]).toMatchObject({ reason: 'top_up', creditsDeducted: -600, remainingCredits: 700, pack: 'standard', sessionId: null });
    expect((await client.profile(u.token)).body.user.credits).toBe(700);
  });

  it('replays the first answer for the same key, adding nothing', async () => {
    const u = await client.signup();
    const key = newKey();
    const first = await purchase(u.token, { pack: 'starter', idempotencyKey: key });
    await purchase(u.token, { pack: 'pro', idempotencyKey: newKey() });
    const again = await purchase(u.token, { pack: 'starter', idempotencyKey: key });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(JSON.stringify(again.body)).toBe(JSON.stringify(first.body));
    expect((await client.profile(u.token)).body.user.credits).toBe(100 + 100 + 1500);
    const { rows } = await stack.sql.query(`SELECT count(*)::int AS n FROM purchases WHERE user_id = $1`, [u.user.id]);
    expect(rows[0].n).toBe(2);
  });

  it('adds the credits once for ten simultaneous requests with one key, and all get the same answer', async () => {
    const u = await client.signup();
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 10 }, () => purchase(u.token, { pack: 'starter', idempotencyKey: key })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    for (const r of results) expect(r.body).toEqual(results[0]?.body);
    expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'false')).toHaveLength(1);
    expect((await ledgerRows(u.user.id)).filter((l) => l.reason === 'top_up')).toEqual([
      { credits_deducted: -100, remaining_credits: 200, reason: 'top_up' },
    ]);
    const { rows } = await stack.sql.query(`SELECT status FROM purchases WHERE user_id = $1`, [u.user.id]);
    expect(rows).toEqual([{ status: 'approved' }]);
    expect((await client.profile(u.token)).body.user.credits).toBe(200);
  });

  it('refuses the same key with a different pack with 409 idempotency_conflict', async () => {
    const u = await client.signup();
    const key = newKey();
    expect((await purchase(u.token, { pack: 'starter', idempotencyKey: key })).status).toBe(200);
    const other = await purchase(u.token, { pack: 'pro', idempotencyKey: key });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    expect((await client.profile(u.token)).body.user.credits).toBe(200);
  });

  it('keeps keys per user: two users may use the same key', async () => {
    const a = await client.signup();
    const b = await client.signup();
    const key = newKey();
    const ra = await purchase(a.token, { pack: 'starter', idempotencyKey: key });
    const rb = await purchase(b.token, { pack: 'pro', idempotencyKey: key });
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(rb.body.user).toEqual({ id: b.user.id, email: b.email, credits: 1600 });
  });

  it('asks for a token before anything else', async () => {
    const r = await purchase(undefined, { pack: 'nope' });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });

  it.each([
    ['no body', undefined],
    ['a missing key', { pack: 'starter' }],
    ['a missing pack', { idempotencyKey: 'abcdefgh' }],
    ['an unknown pack', { pack: 'mega', idempotencyKey: 'abcdefgh' }],
    ['a 7-character key', { pack: 'starter', idempotencyKey: 'abcdefg' }],
    ['a 129-character key', { pack: 'starter', idempotencyKey: 'a'.repeat(129) }],
    ['a key with a space', { pack: 'starter', idempotencyKey: 'abcd efgh' }],
    ['a key with a slash', { pack: 'starter', idempotencyKey: 'abcd/efgh' }],
    ['a numeric key', { pack: 'starter', idempotencyKey: 12345678 }],
    ['an extra field', { pack: 'starter', idempotencyKey: 'abcdefgh', credits: 1_000_000 }],
  ])('refuses %s with 400 invalid_input and adds nothing', async (_name, body) => {
    const u = await client.signup();
    const r = await client.call('POST', '/api/credits/purchase', body === undefined ? { token: u.token } : { token: u.token, body });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect((await client.profile(u.token)).body.user.credits).toBe(100);
  });

  it('accepts keys of exactly 8 and 128 characters of [A-Za-z0-9_-]', async () => {
    const u = await client.signup();
    expect((await purchase(u.token, { pack: 'starter', idempotencyKey: 'aB3_-xYz' })).status).toBe(200);
    expect((await purchase(u.token, { pack: 'starter', idempotencyKey: 'Z'.repeat(128) })).status).toBe(200);
  });

  it('tells every device of the user about a top-up with no session', async () => {
    const u = await client.signup();
    const phone = await connectSocket(stack.wsUrl, u.token);
    const laptop = await connectSocket(stack.wsUrl, u.token);
    expect((await purchase(u.token, { pack: 'starter', idempotencyKey: newKey() })).status).toBe(200);
    for (const socket of [phone, laptop]) {
      const m = (await socket.next((x) => x.type === 'session.update' && x.user.credits === 200)) as SessionUpdateMessage;
      expect(m.session).toBeNull();
    }
    await Promise.all([phone.close(), laptop.close()]);
  });
});

describe('a top-up during a live session', () => {
  it('moves endsAt to t0 + (consumed + credits)·P on two devices, re-arms the timer and ends exactly there', async () => {
    const u = await client.signup();
    // Enough for the purchase to land well before the session runs out, even on a busy machine.
    await setCredits(stack.sql, u.user.id, 30);
    const phone = await connectSocket(stack.wsUrl, u.token);
    const laptop = await connectSocket(stack.wsUrl, u.token);
    const started = await client.start(u.token);
    expect(started.status).toBe(201);
    const t0 = Date.parse(started.body.session.startTime);
    expect(Date.parse(started.body.session.endsAt ?? '')).toBe(t0 + 30 * periodMs);
    await sleep(2 * periodMs + 30);

    const r = await purchase(u.token, { pack: 'starter', idempotencyKey: newKey() });
    expect(r.status).toBe(200);
    const s = r.body.session;
    if (s === null) throw new Error('expected the live session');
    expect(s.isActive).toBe(true);
    expect(s.creditsConsumed).toBeGreaterThanOrEqual(3);
    expect(s.creditsConsumed + r.body.user.credits).toBe(130);
    const endsAtMs = t0 + (s.creditsConsumed + r.body.user.credits) * periodMs;
    expect(Date.parse(s.endsAt ?? '')).toBe(endsAtMs);
    expect(endsAtMs).toBe(t0 + 130 * periodMs);
    // The settle ran first: what was due by the purchase was charged before the credits came.
    expect(Date.parse(s.nextChargeAt ?? '')).toBe(t0 + s.creditsConsumed * periodMs);
    expect(Date.parse(s.nextChargeAt ?? '')).toBeGreaterThan(Date.parse(r.body.serverTime));

    const { getTimer } = await import('../functions/adapters/scheduler');
    expect(await getTimer(s.id)).toEqual({ atMs: Math.ceil(endsAtMs / 1000) * 1000 });

    for (const socket of [phone, laptop]) {
      const m = await socket.next((x) => x.type === 'session.update' && x.session?.endsAt === s.endsAt, 5_000);
      expect(m.type === 'session.update' && m.user.credits).toBeGreaterThanOrEqual(100);
    }
    for (const socket of [phone, laptop]) {
      const ended = await socket.next(isEnded, 25_000);
      if (!isEnded(ended)) throw new Error('unreachable');
      expect(ended.reason).toBe('exhausted');
      expect(Date.parse(ended.session.endTime ?? '')).toBe(endsAtMs);
      expect(ended.session.creditsConsumed).toBe(130);
      expect(ended.user.credits).toBe(0);
    }
    const rows = await ledgerRows(u.user.id);
    const topUp = rows.findIndex((l) => l.reason === 'top_up');
    expect(rows[topUp]?.credits_deducted).toBe(-100);
    await Promise.all([phone.close(), laptop.close()]);
  }, 45_000);

  it('finds a session that ran out before the top-up already ended at t0 + B·P', async () => {
    const u = await client.signup();
    await setCredits(stack.sql, u.user.id, 2);
    await stack.pauseTick();
    try {
      const started = await client.start(u.token);
      const t0 = Date.parse(started.body.session.startTime);
      await sleep(3 * periodMs);
      const r = await purchase(u.token, { pack: 'starter', idempotencyKey: newKey() });
      expect(r.status).toBe(200);
      const s = r.body.session;
      if (s === null) throw new Error('expected the ended session');
      expect(s.isActive).toBe(false);
      expect(s.endReason).toBe('exhausted');
      expect(Date.parse(s.endTime ?? '')).toBe(t0 + 2 * periodMs);
      expect(s.creditsConsumed).toBe(2);
      expect(r.body.user.credits).toBe(100);
    } finally {
      stack.resumeTick();
    }
  });

  it('settles a session that starts while the top-up waits for the account, never locking out of order', async () => {
    const u = await client.signup();
    // Another writer holds the user row, as a start does while it inserts the session.
    const holder = await stack.sql.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [u.user.id]);
      const pending = purchase(u.token, { pack: 'starter', idempotencyKey: newKey() });
      // Wait until the purchase is queued behind the lock on the user row.
      for (let i = 0; ; i++) {
        const { rows } = await stack.sql.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM users WHERE id = $1 FOR UPDATE%'`,
        );
        if (rows[0].n > 0) break;
        if (i > 200) throw new Error('the purchase never waited for the user row');
        await sleep(10);
      }
      // The "start" commits a session charged its first period, as the store writes one; it is
      // dated 3.5 periods back, so boundaries are due when the top-up gets the account.
      await holder.query(
        `WITH clock AS MATERIALIZED (SELECT date_trunc('milliseconds', clock_timestamp()) - interval '350 milliseconds' AS now),
         ins AS (INSERT INTO sessions (user_id, start_time, credits_consumed, is_active) SELECT $1, now, 1, true FROM clock RETURNING id, start_time),
         upd AS (UPDATE users SET credits = credits - 1 WHERE id = $1 RETURNING credits)
         INSERT INTO credit_logs (user_id, session_id, credits_deducted, remaining_credits, reason, "timestamp")
         SELECT $1, ins.id, 1, (SELECT credits FROM upd), 'session_charge', ins.start_time FROM ins`,
        [u.user.id],
      );
      await holder.query('COMMIT');
      const r = await pending;
      expect(r.status).toBe(200);
      const s = r.body.session;
      if (s === null) throw new Error('expected the session that started');
      expect(s.isActive).toBe(true);
      expect(s.creditsConsumed + r.body.user.credits).toBe(200);
      expect(Date.parse(s.endsAt ?? '')).toBe(Date.parse(s.startTime) + 200 * periodMs);
      // Settled first: every boundary due by the top-up was charged before the credits came.
      const { rows } = await stack.sql.query(
        `SELECT reason, credits_deducted, extract(epoch FROM "timestamp") * 1000 AS ts FROM credit_logs WHERE user_id = $1 ORDER BY id`,
        [u.user.id],
      );
      const topUp = rows.findIndex((l: { reason: string }) => l.reason === 'top_up');
      const chargedBefore = rows.slice(0, topUp).filter((l: { reason: string }) => l.reason === 'session_charge').reduce((a: number, l: { credits_deducted: number }) => a + l.credits_deducted, 0);
      const dueAtTopUp = 1 + Math.floor((Number(rows[topUp].ts) - Date.parse(s.startTime)) / periodMs);
      expect(dueAtTopUp).toBeGreaterThanOrEqual(4);
      expect(chargedBefore).toBe(dueAtTopUp);
    } finally {
      holder.release();
    }
    expect((await client.stop(u.token)).status).toBe(200);
  });

  it('adds each of many simultaneous purchases with different keys exactly once while the session runs', async () => {
    const u = await client.signup();
    await client.start(u.token);
    const results = await Promise.all(Array.from({ length: 8 }, () => purchase(u.token, { pack: 'starter', idempotencyKey: newKey() })));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const stopped = await client.stop(u.token);
    expect(stopped.status).toBe(200);
    expect(stopped.body.user.credits + stopped.body.session.creditsConsumed).toBe(100 + 8 * 100);
    expect((await ledgerRows(u.user.id)).filter((l) => l.reason === 'top_up')).toHaveLength(8);
  });
});
