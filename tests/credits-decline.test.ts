// The declined path of a top-up, with its own stack whose payment provider declines every
// payment (PAYMENT_PROVIDER=decline: configuration, not a hook a request could reach).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/client';
import { startTestStack, type TestStack } from './support/stack';

const periodMs = 100;
let stack: TestStack;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startTestStack({ periodMs, tickMs: 50, env: { PAYMENT_PROVIDER: 'decline' } });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());
afterEach(async () => {
  const { auditLedger } = await import('../functions/core/audit');
  expect((await auditLedger(periodMs)).map((d) => `${d.kind} ${d.detail}`)).toEqual([]);
});

describe('a declined payment', () => {
  it('answers 402 payment_declined and stores nothing but the declined purchase', async () => {
    const u = await client.signup();
    const r = await client.call('POST', '/api/credits/purchase', { token: u.token, body: { pack: 'pro', idempotencyKey: 'declined-1' } });
    expect(r.status).toBe(402);
    expect(r.body.error.code).toBe('payment_declined');
    expect((await client.profile(u.token)).body.user.credits).toBe(100);
    const ledger = await stack.sql.query(`SELECT reason FROM credit_logs WHERE user_id = $1`, [u.user.id]);
    expect(ledger.rows).toEqual([{ reason: 'signup_grant' }]);
    const purchases = await stack.sql.query(`SELECT pack, status, credit_log_id, response FROM purchases WHERE user_id = $1`, [u.user.id]);
    expect(purchases.rows).toEqual([{ pack: 'pro', status: 'declined', credit_log_id: null, response: null }]);
  });

  it('answers a replay of a declined key with the same 402, and a different pack with 409', async () => {
    const u = await client.signup();
    const body = { pack: 'starter', idempotencyKey: 'declined-2' };
    const first = await client.call('POST', '/api/credits/purchase', { token: u.token, body });
    const again = await client.call('POST', '/api/credits/purchase', { token: u.token, body });
    expect(again.status).toBe(402);
    expect(again.body).toEqual(first.body);
    const other = await client.call('POST', '/api/credits/purchase', { token: u.token, body: { ...body, pack: 'pro' } });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
  });

  it('leaves a live session and its end untouched', async () => {
    const u = await client.signup();
    const started = await client.start(u.token);
    const r = await client.call('POST', '/api/credits/purchase', { token: u.token, body: { pack: 'starter', idempotencyKey: 'declined-3' } });
    expect(r.status).toBe(402);
    const status = await client.status(u.token);
    expect(status.body.session?.endsAt).toBe(started.body.session.endsAt);
    expect((await client.stop(u.token)).status).toBe(200);
  });
});
