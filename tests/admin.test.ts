// The admin console over real HTTP against the local stack: 401/403 on every admin endpoint for
// the wrong caller, finding users, one user's view, grants and removals (settle first, the exact
// new end on the user's devices, the ledger row with the admin's id, the audit row), ending a
// live session, and the system view. The ledger invariant is checked after every scenario.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpRoutes } from '../functions/routes';
import type {
  AdminCreditsResponse,
  AdminSystemResponse,
  AdminUserResponse,
  AdminUsersResponse,
  ServerMessage,
  SessionEndedMessage,
  WireUser,
} from '../functions/wire';
import { api, sleep, type Json } from './support/client';
import { startTestStack, type TestStack } from './support/stack';
import { connectSocket } from './support/ws-client';

const periodMs = 100;
const adminEmail = 'admin@example.com';
let stack: TestStack;
let client: ReturnType<typeof api>;
let admin: { token: string; user: WireUser };

beforeAll(async () => {
  stack = await startTestStack({ periodMs, tickMs: 50, env: { ADMIN_EMAILS: `${adminEmail}, second-admin@example.com` } });
  client = api(stack.url);
  admin = await client.signup('Admin@Example.com');
});
afterAll(async () => stack?.stop());
afterEach(async () => {
  const { auditLedger } = await import('../functions/core/audit');
  expect((await auditLedger(periodMs)).map((d) => `${d.kind} ${d.detail}`)).toEqual([]);
});

const adminRoutes = httpRoutes.filter((r) => r.path.startsWith('/api/admin/'));
const grant = (token: string, body: unknown) => client.call<AdminCreditsResponse & Json>('POST', '/api/admin/credits', { token, body });
const endSession = (token: string, userId: string) => client.call<Json>('POST', '/api/admin/session/end', { token, body: { userId } });
const isEnded = (m: ServerMessage): m is SessionEndedMessage => m.type === 'session.ended';

async function auditRows(targetUserId: string): Promise<Array<{ admin_id: string; action: string; payload: Json }>> {
  const { rows } = await stack.sql.query(`SELECT admin_id::text, action, payload FROM admin_audit WHERE target_user_id = $1 ORDER BY id`, [targetUserId]);
  return rows;
}

describe('who may use the admin endpoints', () => {
  it('covers the five admin routes', () => {
    expect(adminRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/admin/system',
      'GET /api/admin/user',
      'GET /api/admin/users',
      'POST /api/admin/credits',
      'POST /api/admin/session/end',
    ]);
  });

  it.each(adminRoutes.map((r) => [r.method, r.path] as const))('%s %s answers 401 without a token', async (method, path) => {
    const r = await client.call<Json>(method, path, method === 'POST' ? { body: {} } : {});
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });

  it.each(adminRoutes.map((r) => [r.method, r.path] as const))('%s %s answers 403 forbidden to a non-admin, whatever the input', async (method, path) => {
    const u = await client.signup();
    const target = await client.signup();
    await client.start(target.token);
    const inputs: Array<{ query: string; body?: unknown }> =
      method === 'POST'
        ? [
            { query: '', body: { userId: target.user.id, delta: 1000, reason: 'please' } },
            { query: '', body: { userId: target.user.id } },
            { query: '', body: {} },
            { query: '', body: { userId: u.user.id, delta: 5, reason: 'myself' } },
          ]
        : [{ query: `?id=${target.user.id}` }, { query: '?q=a' }, { query: '?id=nope&limit=0' }, { query: '' }];
    for (const input of inputs) {
      const r = await client.call<Json>(method, `${path}${input.query}`, { token: u.token, ...(input.body === undefined ? {} : { body: input.body }) });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    // Nothing happened to anyone.
    expect((await client.profile(u.token)).body.user.credits).toBe(100);
    expect((await client.status(target.token)).body.session?.isActive).toBe(true);
    expect(await auditRows(target.user.id)).toEqual([]);
    await client.stop(target.token);
  });

  it('marks the admin as one on their own profile, case-insensitively', async () => {
    const r = await client.profile(admin.token);
    expect(r.body.user).toMatchObject({ email: adminEmail, isAdmin: true });
    expect((await client.call('GET', '/api/admin/system', { token: admin.token })).status).toBe(200);
  });
});

describe('finding users', () => {
  it('pages through the matches by email, each exactly once', async () => {
    const tag = `find${Date.now()}`;
    const emails = await Promise.all(Array.from({ length: 5 }, (_, i) => client.signup(`${tag}-${i}@example.com`).then((u) => u.email)));
    await client.signup(`other-${Date.now()}@example.com`);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const r: { status: number; body: AdminUsersResponse } = await client.call<AdminUsersResponse>(
        'GET',
        `/api/admin/users?q=${tag.toUpperCase()}&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
        { token: admin.token },
      );
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((x) => x.email));
      cursor = r.body.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual([...emails].sort());
  });

  it('finds a user by id, and treats % and _ as plain characters', async () => {
    const u = await client.signup();
    const byId = await client.call<AdminUsersResponse>('GET', `/api/admin/users?q=${u.user.id}`, { token: admin.token });
    expect(byId.body.items).toEqual([{ id: u.user.id, email: u.email, credits: 100, createdAt: expect.any(String), isAdmin: false, hasActiveSession: false }]);
    const wild = await client.call<AdminUsersResponse>('GET', `/api/admin/users?q=${encodeURIComponent('%')}`, { token: admin.token });
    expect(wild.body.items).toEqual([]);
  });

  it.each(['limit=0', 'limit=101', 'cursor=***', `q=${'x'.repeat(255)}`])('refuses %s with 400', async (q) => {
    const r = await client.call<Json>('GET', `/api/admin/users?${q}`, { token: admin.token });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
  });
});

describe('one user', () => {
  it('shows the balance, the sessions and the ledger, and records the view', async () => {
    const u = await client.signup();
    await client.start(u.token);
    await sleep(periodMs + 20);
    await client.stop(u.token);
    await client.start(u.token);
    const r = await client.call<AdminUserResponse>('GET', `/api/admin/user?id=${u.user.id}`, { token: admin.token });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ id: u.user.id, email: u.email, isAdmin: false, hasActiveSession: true });
    expect(r.body.sessions).toHaveLength(2);
    expect(r.body.session?.isActive).toBe(true);
    expect(r.body.ledger[r.body.ledger.length - 1]).toMatchObject({ reason: 'signup_grant', creditsDeducted: -100, actorId: null, note: null });
    expect(r.body.ledger[0]?.remainingCredits).toBe(r.body.user.credits);
    expect(await auditRows(u.user.id)).toEqual([{ admin_id: admin.user.id, action: 'view_user', payload: {} }]);
    await client.stop(u.token);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await client.call<Json>('GET', '/api/admin/user?id=00000000-0000-4000-8000-000000000000', { token: admin.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    for (const q of ['', '?id=', '?id=123', "?id=' OR 1=1 --"]) {
      const r = await client.call<Json>('GET', `/api/admin/user${q}`, { token: admin.token });
      expect(r.status).toBe(400);
    }
  });
});

describe('granting and removing credits', () => {
  it('grants with an adjustment row naming the admin and the reason, audited, pushed to the user', async () => {
    const u = await client.signup();
    const socket = await connectSocket(stack.wsUrl, u.token);
    const r = await grant(admin.token, { userId: u.user.id, delta: 250, reason: '  Goodwill for the outage  ' });
    expect(r.status).toBe(200);
    expect(r.body.user.credits).toBe(350);
    expect(r.body.entry).toMatchObject({ reason: 'adjustment', creditsDeducted: -250, remainingCredits: 350, actorId: admin.user.id, actorEmail: adminEmail, note: 'Goodwill for the outage' });
    const m = await socket.next((x) => x.type === 'session.update' && x.user.credits === 350);
    expect(m.type === 'session.update' && m.session).toBeNull();
    const audit = await auditRows(u.user.id);
    expect(audit).toEqual([
      { admin_id: admin.user.id, action: 'grant_credits', payload: { delta: 250, reason: 'Goodwill for the outage', ledgerId: r.body.entry.id, balanceAfter: 350 } },
    ]);
    // The user sees the row too, without the admin's note.
    const ledger = await client.call<Json>('GET', '/api/credits/ledger?limit=1', { token: u.token });
    expect(ledger.body.items[0]).toEqual({ id: r.body.entry.id, sessionId: null, creditsDeducted: -250, remainingCredits: 350, reason: 'adjustment', timestamp: expect.any(String), createdAt: expect.any(String), pack: null });
    await socket.close();
  });

  it('removes credits, and refuses to take the balance below 0', async () => {
    const u = await client.signup();
    const removed = await grant(admin.token, { userId: u.user.id, delta: -60, reason: 'chargeback' });
    expect(removed.status).toBe(200);
    expect(removed.body.user.credits).toBe(40);
    const tooMuch = await grant(admin.token, { userId: u.user.id, delta: -41, reason: 'chargeback' });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toEqual({ code: 'invalid_input', message: 'The balance is 40 credits now: at most 40 can be removed.' });
    expect((await client.profile(u.token)).body.user.credits).toBe(40);
    expect((await auditRows(u.user.id)).map((a) => a.action)).toEqual(['remove_credits']);
  });

  it('extends a live session to exactly t0 + (consumed + credits)·P on every device, and it ends there', async () => {
    const u = await client.signup();
    await grant(admin.token, { userId: u.user.id, delta: -80, reason: 'test setup' });
    const phone = await connectSocket(stack.wsUrl, u.token);
    const laptop = await connectSocket(stack.wsUrl, u.token);
    const started = await client.start(u.token);
    const t0 = Date.parse(started.body.session.startTime);
    await sleep(periodMs + 30);
    const r = await grant(admin.token, { userId: u.user.id, delta: 4, reason: 'a little more' });
    expect(r.status).toBe(200);
    const s = r.body.session;
    if (s === null) throw new Error('expected the live session');
    expect(s.creditsConsumed + r.body.user.credits).toBe(24);
    const endsAtMs = t0 + 24 * periodMs;
    expect(Date.parse(s.endsAt ?? '')).toBe(endsAtMs);
    const { getTimer } = await import('../functions/adapters/scheduler');
    expect(await getTimer(s.id)).toEqual({ atMs: Math.ceil(endsAtMs / 1000) * 1000 });
    for (const socket of [phone, laptop]) {
      await socket.next((x) => x.type === 'session.update' && x.session?.endsAt === s.endsAt, 5_000);
      const ended = await socket.next(isEnded, 10_000);
      if (!isEnded(ended)) throw new Error('unreachable');
      expect(ended.reason).toBe('exhausted');
      expect(Date.parse(ended.session.endTime ?? '')).toBe(endsAtMs);
      expect(ended.session.creditsConsumed).toBe(24);
    }
    await Promise.all([phone.close(), laptop.close()]);
  });

  it('lets the period already paid run out after a removal to 0: the session ends at its next boundary', async () => {
    const u = await client.signup();
    const socket = await connectSocket(stack.wsUrl, u.token);
    const started = await client.start(u.token);
    const t0 = Date.parse(started.body.session.startTime);
    await sleep(3 * periodMs);
    // The balance moves every period: read it settled, remove it all; retry if a boundary passed.
    let removal: Awaited<ReturnType<typeof grant>> | undefined;
    for (let attempt = 0; attempt < 20 && removal?.status !== 200; attempt++) {
      const credits = (await client.status(u.token)).body.user.credits;
      removal = await grant(admin.token, { userId: u.user.id, delta: -credits, reason: 'remove everything' });
    }
    if (removal?.status !== 200) throw new Error('could not remove the balance');
    const s = removal.body.session;
    if (s === null) throw new Error('expected the live session');
    expect(removal.body.user.credits).toBe(0);
    expect(s.isActive).toBe(true);
    const boundaryMs = t0 + s.creditsConsumed * periodMs;
    expect(Date.parse(s.nextChargeAt ?? '')).toBe(boundaryMs);
    expect(Date.parse(s.endsAt ?? '')).toBe(boundaryMs);
    const ended = await socket.next(isEnded, 5_000);
    if (!isEnded(ended)) throw new Error('unreachable');
    expect(ended.reason).toBe('exhausted');
    expect(Date.parse(ended.session.endTime ?? '')).toBe(boundaryMs);
    expect(ended.session.creditsConsumed).toBe(s.creditsConsumed);
    await socket.close();
  });

  it('adds every one of many simultaneous grants exactly once while the tick charges', async () => {
    const u = await client.signup();
    await client.start(u.token);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => grant(admin.token, { userId: u.user.id, delta: 10 + i, reason: `grant ${i}` })));
    expect(results.map((x) => x.status)).toEqual(Array(10).fill(200));
    const stopped = await client.stop(u.token);
    expect(stopped.body.user.credits + stopped.body.session.creditsConsumed).toBe(100 + 145);
    expect(await auditRows(u.user.id)).toHaveLength(10);
  });

  it.each([
    ['a zero delta', { delta: 0, reason: 'nothing' }],
    ['a fractional delta', { delta: 1.5, reason: 'half' }],
    ['a string delta', { delta: '5', reason: 'text' }],
    ['a huge delta', { delta: 1_000_001, reason: 'too much' }],
    ['a 2-character reason', { delta: 5, reason: ' ab ' }],
    ['a 201-character reason', { delta: 5, reason: 'x'.repeat(201) }],
    ['no reason', { delta: 5 }],
    ['an extra field', { delta: 5, reason: 'fine', actorId: 'me' }],
  ])('refuses %s with 400', async (_name, body) => {
    const u = await client.signup();
    const r = await grant(admin.token, { userId: u.user.id, ...body });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect((await client.profile(u.token)).body.user.credits).toBe(100);
  });

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    const unknown = await grant(admin.token, { userId: '00000000-0000-4000-8000-000000000000', delta: 5, reason: 'ghost' });
    expect(unknown.status).toBe(404);
    expect((await grant(admin.token, { userId: 'nope', delta: 5, reason: 'ghost' })).status).toBe(400);
  });
});

describe('ending a live session', () => {
  it('stops it as a stop would, tells every device, disarms the timer and records it', async () => {
    const u = await client.signup();
    const phone = await connectSocket(stack.wsUrl, u.token);
    const laptop = await connectSocket(stack.wsUrl, u.token);
    const started = await client.start(u.token);
    await sleep(2 * periodMs + 50);
    const r = await endSession(admin.token, u.user.id);
    expect(r.status).toBe(200);
    const s = r.body.session;
    expect(s).toMatchObject({ id: started.body.session.id, isActive: false, endReason: 'stopped', endsAt: null });
    const elapsed = Date.parse(s.endTime) - Date.parse(s.startTime);
    expect(s.creditsConsumed).toBe(1 + Math.floor(elapsed / periodMs));
    expect(r.body.user.credits).toBe(100 - s.creditsConsumed);
    for (const socket of [phone, laptop]) {
      const ended = await socket.next(isEnded, 5_000);
      if (!isEnded(ended)) throw new Error('unreachable');
      expect(ended.reason).toBe('stopped');
      expect(ended.session.endTime).toBe(s.endTime);
    }
    const { getTimer } = await import('../functions/adapters/scheduler');
    expect(await getTimer(s.id)).toBeNull();
    expect(await auditRows(u.user.id)).toEqual([
      { admin_id: admin.user.id, action: 'end_session', payload: { sessionId: s.id, creditsConsumed: s.creditsConsumed, endTime: s.endTime } },
    ]);
    // Nothing left to end: 404, and no second audit row.
    const again = await endSession(admin.token, u.user.id);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('no_active_session');
    expect(await auditRows(u.user.id)).toHaveLength(1);
    await Promise.all([phone.close(), laptop.close()]);
  });

  it('answers 404 for an unknown user', async () => {
    const r = await endSession(admin.token, '00000000-0000-4000-8000-000000000000');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});

describe('the system view', () => {
  it('shows active sessions, charges per minute and tick lateness', async () => {
    const u = await client.signup();
    await client.start(u.token);
    await sleep(10 * periodMs);
    const r = await client.call<AdminSystemResponse>('GET', '/api/admin/system', { token: admin.token });
    expect(r.status).toBe(200);
    const v = r.body;
    expect(v.periodMs).toBe(periodMs);
    expect(v.activeSessions).toBeGreaterThanOrEqual(1);
    expect(v.scheduledSessions).toBeGreaterThanOrEqual(1);
    expect(v.overdueSessions).toBe(0);
    expect(v.chargesLastMinute.credits).toBeGreaterThanOrEqual(8);
    expect(v.chargesPerMinute).toHaveLength(15);
    expect(v.chargesPerMinute.reduce((a, m) => a + m.credits, 0)).toBeGreaterThanOrEqual(v.chargesLastMinute.credits);
    expect(v.tickLatenessMs.samples).toBeGreaterThan(0);
    expect(v.tickLatenessMs.max).toBeGreaterThanOrEqual(0);
    expect(v.tickLatenessMs.max).toBeLessThan(5000);
    expect(v.payments).toEqual({ approvedLastHour: expect.any(Number), declinedLastHour: expect.any(Number) });
    await client.stop(u.token);
  });
});
