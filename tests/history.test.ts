// History over real HTTP against the local stack: sessions and ledger newest first, walked page by
// page by cursor (every row exactly once, even while a live session adds rows), invalid cursors
// and limits refused, one user never sees another's rows, and the per-day usage for the charts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerResponse, SessionHistoryResponse, UsageResponse } from '../functions/wire';
import { api, sleep, type Json } from './support/client';
import { startTestStack, type TestStack } from './support/stack';

const periodMs = 100;
let stack: TestStack;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startTestStack({ periodMs, tickMs: 50 });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());
afterEach(async () => {
  const { auditLedger } = await import('../functions/core/audit');
  expect((await auditLedger(periodMs)).map((d) => `${d.kind} ${d.detail}`)).toEqual([]);
});

/** Walks a list from the newest page to the last, returning every page. */
async function walk<T extends { id: string }>(path: string, token: string, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`;
    const r = await client.call<{ items: T[]; nextCursor: string | null }>('GET', `${path}${query}`, { token });
    expect(r.status).toBe(200);
    pages.push(r.body.items);
    cursor = r.body.nextCursor;
    if (cursor === null) return pages;
  }
  throw new Error('too many pages');
}

async function runSessions(token: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    expect((await client.start(token)).status).toBe(201);
    await sleep(periodMs + 20);
    expect((await client.stop(token)).status).toBe(200);
  }
}

const ids = (rows: Array<{ id: string }>): string[] => rows.map((r) => r.id);
const descending = (list: string[]): boolean => list.every((id, i) => i === 0 || BigInt(id) < BigInt(list[i - 1] ?? '0'));

describe('session history', () => {
  it('walks every session exactly once, newest first, page by page', async () => {
    const u = await client.signup();
    await runSessions(u.token, 7);
    const pages = await walk<SessionHistoryResponse['items'][number]>('/api/session/history', u.token, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const walked = ids(pages.flat());
    const { rows } = await stack.sql.query(`SELECT id::text FROM sessions WHERE user_id = $1 ORDER BY id DESC`, [u.user.id]);
    expect(walked).toEqual(ids(rows));
    expect(descending(walked)).toBe(true);
    const first = pages[0]?.[0];
    expect(first).toMatchObject({ isActive: false, endReason: 'stopped', nextChargeAt: null, endsAt: null });
    expect(first?.creditsConsumed).toBeGreaterThanOrEqual(2);
  });

  it('shows an active session with its endsAt, and gives an empty page to a new user', async () => {
    const u = await client.signup();
    const empty = await client.call<SessionHistoryResponse>('GET', '/api/session/history', { token: u.token });
    expect(empty.body).toEqual({ items: [], nextCursor: null });
    const started = await client.start(u.token);
    const r = await client.call<SessionHistoryResponse>('GET', '/api/session/history', { token: u.token });
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items[0]).toMatchObject({ id: started.body.session.id, isActive: true, endsAt: started.body.session.endsAt });
    await client.stop(u.token);
  });

  it('returns exactly `limit` items and a cursor when more exist, and 20 by default', async () => {
    const u = await client.signup();
    await runSessions(u.token, 2);
    const one = await client.call<SessionHistoryResponse>('GET', '/api/session/history?limit=1', { token: u.token });
    expect(one.body.items).toHaveLength(1);
    expect(one.body.nextCursor).toEqual(expect.any(String));
    const all = await client.call<SessionHistoryResponse>('GET', '/api/session/history?cursor=&limit=', { token: u.token });
    expect(all.body.items).toHaveLength(2);
    expect(all.body.nextCursor).toBeNull();
  });
});

describe('the ledger', () => {
  it('walks every row exactly once while a live session keeps adding rows', async () => {
    const u = await client.signup();
    await runSessions(u.token, 2);
    await client.start(u.token);
    await sleep(10 * periodMs);
    // Rows keep coming while we walk: the walk covers exactly the rows up to its first page.
    const pages = await walk<LedgerResponse['items'][number]>('/api/credits/ledger', u.token, 4);
    await client.stop(u.token);
    const walked = ids(pages.flat());
    const newest = walked[0] ?? '0';
    const { rows } = await stack.sql.query(`SELECT id::text FROM credit_logs WHERE user_id = $1 AND id <= $2 ORDER BY id DESC`, [u.user.id, newest]);
    expect(walked).toEqual(ids(rows));
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked.length).toBeGreaterThan(10);
    const oldest = pages.flat().at(-1);
    expect(oldest).toMatchObject({ reason: 'signup_grant', creditsDeducted: -100, remainingCredits: 100, sessionId: null, pack: null });
  });

  it('shows each charge with its session, boundary and the balance after it', async () => {
    const u = await client.signup();
    const started = await client.start(u.token);
    const r = await client.call<LedgerResponse>('GET', '/api/credits/ledger', { token: u.token });
    const charge = r.body.items[0];
    expect(charge).toEqual({
      id: expect.any(String),
      sessionId: started.body.session.id,
      creditsDeducted: 1,
      remainingCredits: 99,
      reason: 'session_charge',
      timestamp: started.body.session.startTime,
      createdAt: expect.any(String),
      pack: null,
    });
    await client.stop(u.token);
  });

  it('never shows another user’s rows, whatever the cursor', async () => {
    const a = await client.signup();
    const b = await client.signup();
    await runSessions(a.token, 1);
    const aRows = await client.call<LedgerResponse>('GET', '/api/credits/ledger?limit=100', { token: a.token });
    const aNewest = aRows.body.items[0]?.id ?? '';
    const cursor = Buffer.from(String(BigInt(aNewest) + 1n)).toString('base64url');
    const r = await client.call<LedgerResponse>('GET', `/api/credits/ledger?cursor=${cursor}&limit=100`, { token: b.token });
    expect(r.body.items.map((i) => i.id)).toEqual((await client.call<LedgerResponse>('GET', '/api/credits/ledger', { token: b.token })).body.items.map((i) => i.id));
    const { rows } = await stack.sql.query(`SELECT DISTINCT user_id::text FROM credit_logs WHERE id = ANY($1::bigint[])`, [r.body.items.map((i) => i.id)]);
    expect(rows).toEqual([{ user_id: b.user.id }]);
  });
});

describe('page parameters', () => {
  const paths = ['/api/session/history', '/api/credits/ledger'];
  const b64 = (s: string): string => Buffer.from(s).toString('base64url');

  it.each(
    paths.flatMap((path) =>
      [
        'limit=0',
        'limit=101',
        'limit=-1',
        'limit=1.5',
        'limit=abc',
        'limit=1e2',
        'cursor=***',
        'cursor=%20',
        `cursor=${b64('abc')}`,
        `cursor=${b64('0')}`,
        `cursor=${b64('-5')}`,
        `cursor=${b64('12 ')}`,
        `cursor=${b64('1'.repeat(19))}`,
        `cursor=${b64('12')}==`,
        `cursor=${'A'.repeat(401)}`,
      ].map((q) => [path, q] as const),
    ),
  )('%s?%s is refused with 400 invalid_input', async (path, q) => {
    const u = await client.signup();
    const r = await client.call<Json>('GET', `${path}?${q}`, { token: u.token });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
  });

  it.each([...paths, '/api/credits/usage'])('%s asks for a token', async (path) => {
    const r = await client.call<Json>('GET', path);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });

  it('accepts limit=100 and limit=1', async () => {
    const u = await client.signup();
    for (const path of paths) {
      expect((await client.call('GET', `${path}?limit=100`, { token: u.token })).status).toBe(200);
      expect((await client.call('GET', `${path}?limit=1`, { token: u.token })).status).toBe(200);
    }
  });
});

describe('usage per day', () => {
  it('counts today’s sessions, credits spent and added, over 30 UTC days by default', async () => {
    const u = await client.signup();
    await runSessions(u.token, 3);
    const r = await client.call<UsageResponse>('GET', '/api/credits/usage', { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body.periodMs).toBe(periodMs);
    expect(r.body.days).toHaveLength(30);
    const today = r.body.days.at(-1);
    const { rows } = await stack.sql.query(
      `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS today,
              (SELECT sum(credits_consumed)::int FROM sessions WHERE user_id = $1) AS spent`,
      [u.user.id],
    );
    expect(today).toEqual({ date: rows[0].today, sessions: 3, creditsSpent: rows[0].spent, creditsAdded: 100 });
    expect(r.body.days.slice(0, -1).every((d) => d.sessions === 0 && d.creditsSpent === 0 && d.creditsAdded === 0)).toBe(true);
    const dates = r.body.days.map((d) => Date.parse(`${d.date}T00:00:00Z`));
    expect(dates.every((t, i) => i === 0 || t - (dates[i - 1] ?? 0) === 86_400_000)).toBe(true);
  });

  it('puts a charge on the UTC day of the boundary it pays', async () => {
    const u = await client.signup();
    // A session of two days ago, written as the store would have (the ledger stays consistent).
    const { rows } = await stack.sql.query(
      `WITH s AS (
         INSERT INTO sessions (user_id, start_time, end_time, credits_consumed, is_active, end_reason)
         VALUES ($1, (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') - interval '2 days' + interval '1 hour',
                 (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') - interval '2 days' + interval '1 hour' + interval '150 milliseconds', 2, false, 'stopped')
         RETURNING id, start_time)
       INSERT INTO credit_logs (user_id, session_id, credits_deducted, remaining_credits, reason, "timestamp")
       SELECT $1, s.id, 2, 98, 'session_charge', s.start_time + interval '100 milliseconds' FROM s RETURNING id`,
      [u.user.id],
    );
    expect(rows).toHaveLength(1);
    await stack.sql.query(`UPDATE users SET credits = 98 WHERE id = $1`, [u.user.id]);
    const r = await client.call<UsageResponse>('GET', '/api/credits/usage?days=3', { token: u.token });
    expect(r.body.days.map((d) => [d.sessions, d.creditsSpent])).toEqual([[1, 2], [0, 0], [0, 0]]);
  });

  it.each(['days=0', 'days=367', 'days=abc', 'days=1.5', 'days=-3'])('refuses %s with 400', async (q) => {
    const u = await client.signup();
    const r = await client.call<Json>('GET', `/api/credits/usage?${q}`, { token: u.token });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
  });

  it('accepts days=1 and days=366', async () => {
    const u = await client.signup();
    expect((await client.call<UsageResponse>('GET', '/api/credits/usage?days=1', { token: u.token })).body.days).toHaveLength(1);
    expect((await client.call<UsageResponse>('GET', '/api/credits/usage?days=366', { token: u.token })).body.days).toHaveLength(366);
  });
});
