// Every endpoint of DESIGN.md over real HTTP against the local stack (real PostgreSQL, Redis,
// bridge, gateway): success and error cases, revocation, concurrency, and the invariant after.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, sleep, waitFor } from './support/client';
import { auditProblems } from './support/ledger';
import { startTestStack, type TestStack } from './support/stack';

const periodMs = 100;
let stack: TestStack;
let client: ReturnType<typeof api>;


beforeAll(async () => {
  // The tick is off here: every number below comes from settles on read, stop and start alone.
  stack = await startTestStack({ periodMs, tickMs: 0 });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());
afterEach(async () => {
  expect(await auditProblems(periodMs)).toEqual([]);
});

describe('health', () => {
  it('answers ok when PostgreSQL and Redis answer', async () => {
    const r = await client.call('GET', '/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
  });
});

describe('signup', () => {
  it('creates the user with 100 credits and a grant in the ledger', async () => {
    const { token, user, email } = await client.signup();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(user).toEqual({ id: expect.any(String), email, credits: 100 });
    const { rows } = await stack.sql.query(`SELECT credits_deducted, remaining_credits, reason FROM credit_logs WHERE user_id = $1`, [user.id]);
    expect(rows).toEqual([{ credits_deducted: -100, remaining_credits: 100, reason: 'signup_grant' }]);
  });

  it('trims and lower-cases the email, and refuses the same email in another case', async () => {
    const r = await client.call('POST', '/api/auth/signup', { body: { email: '  Mixed.Case@Example.COM ', password: 'password123' } });
    expect(r.status).toBe(201);
    expect(r.body.user.email).toBe('mixed.case@example.com');
    const again = await client.call('POST', '/api/auth/signup', { body: { email: 'MIXED.case@example.com', password: 'password123' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('email_taken');
  });

  it.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['a missing password', { email: 'a@example.com' }],
    ['a bad email', { email: 'not-an-email', password: 'password123' }],
    ['a 7-byte password', { email: 'b@example.com', password: '1234567' }],
    ['a 73-byte password', { email: 'c@example.com', password: 'x'.repeat(73) }],
    ['a password of 25 three-byte characters (75 bytes)', { email: 'd@example.com', password: '€'.repeat(25) }],
    ['a number for the email', { email: 42, password: 'password123' }],
    ['an extra field', { email: 'e@example.com', password: 'password123', credits: 1_000_000 }],
    ['an array', [1, 2]],
  ])('refuses %s with 400 invalid_input', async (_name, body) => {
    const r = await client.call('POST', '/api/auth/signup', body === undefined ? {} : { body });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect(typeof r.body.error.message).toBe('string');
  });

  it('refuses malformed JSON with 400 and an oversized body with 413', async () => {
    const bad = await client.call('POST', '/api/auth/signup', { raw: '{"email": ', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
    const huge = await client.call('POST', '/api/auth/signup', { body: { email: 'f@example.com', password: 'x'.repeat(20_000) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
  });

  it('accepts a 72-byte password', async () => {
    const r = await client.call('POST', '/api/auth/signup', { body: { email: 'seventy-two@example.com', password: 'y'.repeat(72) } });
    expect(r.status).toBe(201);
  });
});

describe('login', () => {
  it('returns a working token for the right password', async () => {
    const u = await client.signup();
    const r = await client.call('POST', '/api/auth/login', { body: { email: u.email.toUpperCase(), password: u.password } });
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual(u.user);
    expect((await client.profile(r.body.token)).status).toBe(200);
  });

  it('gives the same error for an unknown email and a wrong password', async () => {
    const u = await client.signup();
    const wrong = await client.call('POST', '/api/auth/login', { body: { email: u.email, password: 'wrong password' } });
    const unknown = await client.call('POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'wrong password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('invalid_credentials');
  });

  it('limits failed logins per email with 429 and Retry-After', async () => {
    const u = await client.signup();
    for (let i = 0; i < 5; i++) {
      const r = await client.call('POST', '/api/auth/login', { body: { email: u.email, password: 'wrong password' } });
      expect(r.status).toBe(401);
    }
    const limited = await client.call('POST', '/api/auth/login', { body: { email: u.email, password: u.password } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('profile and logout', () => {
  it('refuses a missing, malformed or forged token with 401', async () => {
    for (const token of [undefined, 'abc', 'a.b.c']) {
      const r = await client.call('GET', '/api/user/profile', token === undefined ? {} : { token });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    }
    const r = await client.call('GET', '/api/user/profile', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(r.status).toBe(401);
  });

  it('returns the user with its id before any session', async () => {
    const u = await client.signup();
    const r = await client.profile(u.token);
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual(u.user);
    expect((await client.status(u.token)).body.user).toEqual(u.user);
  });

  it('stops a logged-out token working everywhere, even after Redis is emptied', async () => {
    const u = await client.signup();
    const second = await client.call('POST', '/api/auth/login', { body: { email: u.email, password: u.password } });
    expect((await client.call('POST', '/api/auth/logout', { token: u.token })).status).toBe(204);
    expect((await client.profile(u.token)).status).toBe(401);
    expect((await client.call('POST', '/api/auth/logout', { token: u.token })).status).toBe(401);
    // The other device's token is a different token: it still works.
    expect((await client.profile(second.body.token)).status).toBe(200);
    const { Redis } = await import('@upstash/redis');
    await new Redis({ url: stack.upstashUrl, token: stack.upstashToken }).flushall();
    expect((await client.profile(u.token)).status).toBe(401);
  });

  it('refuses the token of a user that no longer exists', async () => {
    const u = await client.signup();
    await stack.sql.query(`DELETE FROM credit_logs WHERE user_id = $1`, [u.user.id]);
    await stack.sql.query(`DELETE FROM users WHERE id = $1`, [u.user.id]);
    const r = await client.profile(u.token);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });
});

describe('sessions', () => {
  it('starts a session, charging the first period up front', async () => {
    const u = await client.signup();
    const r = await client.start(u.token);
    expect(r.status).toBe(201);
    const { session, user } = r.body;
    expect(user.credits).toBe(99);
    expect(session.creditsConsumed).toBe(1);
    expect(session.isActive).toBe(true);
    const t0 = Date.parse(session.startTime);
    expect(Date.parse(session.nextChargeAt ?? '')).toBe(t0 + periodMs);
    expect(Date.parse(session.endsAt ?? '')).toBe(t0 + 100 * periodMs);
    await client.stop(u.token);
  });

  it('refuses a second start with 409 and a stop without a session with 404', async () => {
    const u = await client.signup();
    expect((await client.stop(u.token)).body.error.code).toBe('no_active_session');
    await client.start(u.token);
    const again = await client.start(u.token);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('session_active');
    await client.stop(u.token);
  });

  it('gives exactly one session and one credit for ten simultaneous starts', async () => {
    const u = await client.signup();
    const results = await Promise.all(Array.from({ length: 10 }, () => client.start(u.token)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    const { rows } = await stack.sql.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1`, [u.user.id]);
    expect(rows[0].n).toBe(1);
    const stopped = await client.stop(u.token);
    expect(stopped.status).toBe(200);
  });

  it('charges exactly what the rule gives at a stop, to the period', async () => {
    const u = await client.signup();
    const started = await client.start(u.token);
    await sleep(periodMs * 5 + 50);
    const stopped = await client.stop(u.token);
    expect(stopped.status).toBe(200);
    const s = stopped.body.session;
    const elapsed = Date.parse(s.endTime ?? '') - Date.parse(s.startTime);
    expect(s.creditsConsumed).toBe(1 + Math.floor(elapsed / periodMs));
    expect(stopped.body.user.credits).toBe(100 - s.creditsConsumed);
    expect(s.endReason).toBe('stopped');
    expect(s.isActive).toBe(false);
    expect(s.nextChargeAt).toBeNull();
    expect(s.endsAt).toBeNull();
    expect(started.body.session.id).toBe(s.id);
  });

  it('reports an exact balance on status with no tick running', async () => {
    const u = await client.signup();
    await client.start(u.token);
    await sleep(periodMs * 3 + 30);
    const r = await client.status(u.token);
    const s = r.body.session;
    if (s === null) throw new Error('expected a session');
    const elapsed = Date.parse(r.body.serverTime) - Date.parse(s.startTime);
    expect(s.creditsConsumed).toBe(1 + Math.floor(elapsed / periodMs));
    expect(r.body.user.credits).toBe(100 - s.creditsConsumed);
    const profile = await client.profile(u.token);
    expect(profile.body.user.credits).toBeLessThanOrEqual(r.body.user.credits);
    await client.stop(u.token);
  });

  it('ends a session that ran out at exactly t0 + B·P, found by the next read', async () => {
    const u = await client.signup();
    await stack.sql.query(`UPDATE users SET credits = 3 WHERE id = $1`, [u.user.id]);
    await stack.sql.query(`INSERT INTO credit_logs (user_id, credits_deducted, remaining_credits, reason, "timestamp") VALUES ($1, 97, 3, 'adjustment', now())`, [u.user.id]);
    const started = await client.start(u.token);
    await sleep(periodMs * 3 + 100);
    const stop = await client.stop(u.token);
    expect(stop.status).toBe(404);
    expect(stop.body.error.code).toBe('no_active_session');
    const r = await client.status(u.token);
    const s = r.body.session;
    if (s === null) throw new Error('expected a session');
    expect(s.endReason).toBe('exhausted');
    expect(Date.parse(s.endTime ?? '') - Date.parse(started.body.session.startTime)).toBe(3 * periodMs);
    expect(s.creditsConsumed).toBe(3);
    expect(r.body.user.credits).toBe(0);
    const noCredits = await client.start(u.token);
    expect(noCredits.status).toBe(402);
    expect(noCredits.body.error.code).toBe('insufficient_credits');
  });

  it('returns null for a user with no session, and the latest ended one after', async () => {
    const u = await client.signup();
    const before = await client.status(u.token);
    expect(before.body.session).toBeNull();
    expect(before.body.user.credits).toBe(100);
    await client.start(u.token);
    await client.stop(u.token);
    const after = await client.status(u.token);
    expect(after.body.session?.isActive).toBe(false);
  });

  it('answers an unknown path with 404 and a wrong method with 405, as JSON', async () => {
    const unknown = await client.call('GET', '/api/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const wrong = await client.call('GET', '/api/session/start');
    expect(wrong.status).toBe(405);
    expect(wrong.body.error.code).toBe('method_not_allowed');
  });

  it('keeps the ledger rows of a session equal to its credits_consumed', async () => {
    const u = await client.signup();
    await client.start(u.token);
    await waitFor(async () => ((await client.status(u.token)).body.session?.creditsConsumed ?? 0) >= 4 || undefined);
    await client.stop(u.token);
    const { rows } = await stack.sql.query(
      `SELECT s.credits_consumed, (SELECT sum(credits_deducted)::int FROM credit_logs WHERE session_id = s.id) AS ledger FROM sessions s WHERE user_id = $1`,
      [u.user.id],
    );
    expect(rows[0].credits_consumed).toBe(rows[0].ledger);
  });
});

describe('ledger audit', () => {
  it('reports ledger rows whose user is missing or whose session belongs to someone else', async () => {
    const a = await client.signup();
    const b = await client.signup();
    const started = await client.start(a.token);
    expect(started.status).toBe(201);
    const sessionId = started.body.session.id;
    expect((await client.stop(a.token)).status).toBe(200);
    const ghost = '00000000-0000-4000-8000-000000000000';
    const { rows } = await stack.sql.query<{ id: string }>(
      `INSERT INTO credit_logs (user_id, session_id, credits_deducted, remaining_credits, reason, "timestamp")
       VALUES ($1, NULL, 5, 0, 'adjustment', now()), ($2, $3, 1, 99, 'session_charge', now()) RETURNING id::text`,
      [ghost, b.user.id, sessionId],
    );
    try {
      const { auditLedger } = await import('../functions/core/audit');
      const orphans = (await auditLedger(periodMs)).filter((d) => d.kind === 'ledger_row_orphaned');
      expect(orphans).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ userId: ghost, detail: expect.stringContaining('a user that does not exist') }),
          expect.objectContaining({ userId: b.user.id, sessionId, detail: expect.stringContaining(`session ${sessionId} of another user`) }),
        ]),
      );
      expect(orphans).toHaveLength(2);
    } finally {
      await stack.sql.query(`DELETE FROM credit_logs WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
    }
  });
});
