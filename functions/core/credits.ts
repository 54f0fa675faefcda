// Balance changes other than charges: top-ups (the pack catalogue and idempotent purchases) and
// the balance change that admin grants and removals share.
//
// The billing rule (DESIGN.md): every change to a balance first settles the user's active session
// to that moment, in the same transaction, then changes the balance, endsAt and the timer. So
// `changeBalance` locks the session row and then the user row (the settle's lock order), or only
// the user row when no session is active, reads the database clock after the locks, updates the
// balance and writes the ledger row whose remaining_credits is the new balance, all in the
// caller's transaction. `publishBalanceChange` does the rest after the commit: the message to
// every device of the user, the schedule and the session's timer at its new endsAt.
import assert from 'node:assert';
import { ms, ts, withTransaction, type PoolClient } from '../adapters/pg';
import { paymentProvider } from '../adapters/payments';
import { armTimer } from '../adapters/scheduler';
import type { CreditPack, PurchaseResponse } from '../wire';
import { endsAtMs, nextChargeAtMs } from './billing';
import { AppError } from './errors';
import { sessionColumns, toSessionRecord, type SessionRow } from './history';
import { serverTime, toWireSession, toWireUser } from './present';
import { pushToUsers } from './push';
import { updateSchedule } from './schedule';
import { publishSettlements, type Effects } from './sessions';
import { settleSessions, type SessionRecord, type SettleResult, type UserRecord } from './store';

/** No balance may grow beyond this (users.credits is a 32-bit integer). */
export const maxBalance = 1_000_000_000;

// ---------------------------------------------------------------------------------------------
// The catalogue

export const creditPacks: readonly CreditPack[] = Object.freeze([
  { id: 'starter', name: 'Starter', credits: 100, amountCents: 500, currency: 'usd' },
  { id: 'standard', name: 'Standard', credits: 600, amountCents: 2500, currency: 'usd' },
  { id: 'pro', name: 'Pro', credits: 1500, amountCents: 5000, currency: 'usd' },
]);

export function findPack(id: string): CreditPack | null {
  return creditPacks.find((p) => p.id === id) ?? null;
}

export const idempotencyKeyPattern = /^[A-Za-z0-9_-]{8,128}$/;

// ---------------------------------------------------------------------------------------------
// One balance change, settle first

export interface BalanceChange {
  readonly userId: string;
  /** Credits added (> 0) or removed (< 0). */
  readonly delta: number;
  readonly reason: 'top_up' | 'adjustment';
  /** The admin who made an adjustment, and why. */
  readonly actorId?: string;
  readonly note?: string;
}

export interface BalanceChangeResult {
  /** The user after the change. */
  readonly user: UserRecord;
  /** The settle that ran first (null when no session was active). */
  readonly settled: SettleResult | null;
  /** The user's latest session after the change: the active one, else the latest ended one. */
  readonly session: SessionRecord | null;
  readonly ledgerId: string;
  /** The database clock the change used (after the locks): the ledger row's timestamp. */
  readonly nowMs: number;
}

const nowSql = `date_trunc('milliseconds', clock_timestamp())`;
const maxLockAttempts = 5;

/**
 * Locks the user's account for a balance change, in the settle's lock order: the active session
 * is settled (which locks its row, then the user's); with no active session the user row alone
 * is locked. A session that starts between the look and the lock is caught: the user lock is
 * given back (a savepoint) and the loop settles it instead, so no lock is ever taken out of order.
 */
async function lockAccount(
  client: PoolClient,
  userId: string,
  periodMs: number,
): Promise<{ user: UserRecord; settled: SettleResult | null; nowMs: number }> {
  for (let attempt = 0; attempt < maxLockAttempts; attempt++) {
    const { rows: active } = await client.query<{ id: string }>(`SELECT id::text FROM sessions WHERE user_id = $1 AND is_active`, [userId]);
    const sessionId = active[0]?.id;
    if (sessionId !== undefined) {
      const settled = (await settleSessions([sessionId], periodMs, { client }))[0];
      if (settled !== undefined) return { user: settled.user, settled, nowMs: settled.nowMs };
      continue; // it ended between the look and the lock: look again
    }
    await client.query('SAVEPOINT lock_account');
    const { rows: users } = await client.query<UserRecord>(`SELECT id::text, email, credits FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    const user = users[0];
    if (user === undefined) {
      await client.query('RELEASE SAVEPOINT lock_account');
      throw new AppError('not_found', 'There is no such user.');
    }
    const { rows: started } = await client.query<{ now_ms: number; started: boolean }>(
      `SELECT ${ms(nowSql)} AS now_ms, EXISTS (SELECT 1 FROM sessions WHERE user_id = $1 AND is_active) AS started`,
      [userId],
    );
    const check = started[0];
    assert(check !== undefined);
    if (!check.started) {
      await client.query('RELEASE SAVEPOINT lock_account');
      return { user, settled: null, nowMs: check.now_ms };
    }
    await client.query('ROLLBACK TO SAVEPOINT lock_account');
  }
  throw new AppError('unavailable', 'The account is busy. Try again shortly.');
}

/** Settles, then changes the balance and writes its ledger row, in the caller's transaction. */
export async function changeBalance(client: PoolClient, change: BalanceChange, periodMs: number): Promise<BalanceChangeResult> {
  assert(Number.isSafeInteger(change.delta) && change.delta !== 0);
  assert(change.reason !== 'top_up' || change.delta > 0);
  const { user, settled, nowMs } = await lockAccount(client, change.userId, periodMs);
  const credits = user.credits + change.delta;
  if (credits < 0) {
    throw new AppError(
      'invalid_input',
      `The balance is ${user.credits} credit${user.credits === 1 ? '' : 's'} now: at most ${user.credits} can be removed.`,
    );
  }
  if (credits > maxBalance) throw new AppError('invalid_input', `A balance cannot exceed ${maxBalance} credits.`);
  await client.query(`UPDATE users SET credits = $2, updated_at = ${ts('$3::bigint')} WHERE id = $1`, [change.userId, credits, nowMs]);
  const { rows: logs } = await client.query<{ id: string }>(
    `INSERT INTO credit_logs (user_id, credits_deducted, remaining_credits, reason, "timestamp", actor_id, note)
     VALUES ($1, $2, $3, $4, ${ts('$5::bigint')}, $6, $7) RETURNING id::text`,
    [change.userId, -change.delta, credits, change.reason, nowMs, change.actorId ?? null, change.note ?? null],
  );
  const ledgerId = logs[0]?.id;
  assert(ledgerId !== undefined);
  let session: SessionRecord | null = settled?.session ?? null;
  if (session === null) {
    const { rows } = await client.query<SessionRow>(
      `SELECT ${sessionColumns('s')} FROM sessions s WHERE s.user_id = $1 ORDER BY s.id DESC LIMIT 1`,
      [change.userId],
    );
    session = rows[0] === undefined ? null : toSessionRecord(rows[0]);
  }
  return { user: { ...user, credits }, settled, session, ledgerId, nowMs };
}

/**
 * After the commit: one message to every device of the user with the final balance and session
 * (`session.ended` when the settle found the session had run out, else `session.update`), the
 * schedule re-scored, and the active session's timer moved to its new endsAt. Failures are
 * logged, never thrown: the money is already right and the tick and the timer repair the rest.
 */
export async function publishBalanceChange(r: BalanceChangeResult, fx: Effects): Promise<void> {
  const tasks: Array<Promise<unknown>> = [];
  if (r.settled !== null && (r.settled.paid > 0 || r.settled.ended)) {
    // The settle's own message, carrying the final balance (so its endsAt is the new one).
    tasks.push(publishSettlements([{ ...r.settled, user: r.user }], fx));
  } else {
    const session = r.session === null ? null : toWireSession(r.session, r.user.credits, fx.periodMs);
    tasks.push(pushToUsers([{ userId: r.user.id, message: { type: 'session.update', session, user: toWireUser(r.user), serverTime: serverTime(r.nowMs) } }]));
  }
  const s = r.session;
  if (s !== null && s.isActive) {
    const state = { startMs: s.startMs, creditsConsumed: s.creditsConsumed, balance: r.user.credits };
    tasks.push(
      updateSchedule([{ id: s.id, scoreMs: nextChargeAtMs(state, fx.periodMs) }], []).catch((err: unknown) =>
        fx.log.warn('schedule update failed', { err }),
      ),
      // A removal to 0 makes endsAt the next boundary: the timer ends the session there.
      armTimer(s.id, endsAtMs(state, fx.periodMs)).catch((err: unknown) => fx.log.warn('timer arm failed', { sessionId: s.id, err })),
    );
  }
  await Promise.all(tasks);
}

// ---------------------------------------------------------------------------------------------
// Purchases

export interface PurchaseOutcome {
  /** `replay`: the key was used before; `body` is the first answer, unchanged. */
  readonly kind: 'approved' | 'replay';
  readonly body: PurchaseResponse;
}

type PurchaseStep =
  | { readonly kind: 'approved'; readonly body: PurchaseResponse; readonly change: BalanceChangeResult }
  | { readonly kind: 'replay'; readonly body: PurchaseResponse }
  | { readonly kind: 'declined' };

interface PurchaseRow {
  pack: string;
  status: 'pending' | 'approved' | 'declined';
  response: PurchaseResponse | null;
}

const declined = (): AppError => new AppError('payment_declined', 'The payment was declined. No credits were added.');

/**
 * Buys a pack, once per (user, idempotency key). The purchase row is inserted first with
 * ON CONFLICT DO NOTHING: a concurrent request with the same key waits on that insert until the
 * first transaction commits, then finds the finished row and replays its answer. The provider is
 * charged inside the transaction with a key derived from the user's, so a crash after the charge
 * rolls everything back and the client's retry is answered by the provider's own idempotency.
 */
export async function purchasePack(userId: string, packId: string, idempotencyKey: string, fx: Effects): Promise<PurchaseOutcome> {
  const pack = findPack(packId);
  if (pack === null) throw new AppError('invalid_input', `Unknown pack. Choose one of: ${creditPacks.map((p) => p.id).join(', ')}.`);
  assert(idempotencyKeyPattern.test(idempotencyKey));
  const provider = paymentProvider();
  const outcome = await withTransaction(async (client): Promise<PurchaseStep> => {
    const { rows: inserted } = await client.query<{ id: string; created_ms: number }>(
      `INSERT INTO purchases (user_id, idempotency_key, pack, credits, amount_cents, currency, status, provider)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)
       ON CONFLICT (user_id, idempotency_key) DO NOTHING
       RETURNING id::text, ${ms('created_at')} AS created_ms`,
      [userId, idempotencyKey, pack.id, pack.credits, pack.amountCents, pack.currency, provider.name],
    );
    const purchase = inserted[0];
    if (purchase === undefined) {
      const { rows } = await client.query<PurchaseRow>(
        `SELECT pack, status, response FROM purchases WHERE user_id = $1 AND idempotency_key = $2`,
        [userId, idempotencyKey],
      );
      const existing = rows[0];
      assert(existing !== undefined);
      if (existing.pack !== pack.id) {
        throw new AppError('idempotency_conflict', 'This idempotency key was already used for a different pack. Use a new key for a new purchase.');
      }
      if (existing.status === 'declined') return { kind: 'declined' };
      assert(existing.status === 'approved' && existing.response !== null);
      return { kind: 'replay', body: existing.response };
    }
    const payment = await provider.charge({
      idempotencyKey: `mc-${userId}-${idempotencyKey}`,
      amountCents: pack.amountCents,
      currency: pack.currency,
      description: `Minute Credits ${pack.name} pack (${pack.credits} credits)`,
    });
    if (payment.status === 'declined') {
      await client.query(`UPDATE purchases SET status = 'declined', decline_reason = $2, updated_at = clock_timestamp() WHERE id = $1`, [
        purchase.id,
        payment.reason,
      ]);
      return { kind: 'declined' };
    }
    const change = await changeBalance(client, { userId, delta: pack.credits, reason: 'top_up' }, fx.periodMs);
    const body: PurchaseResponse = {
      purchase: {
        id: purchase.id,
        pack: pack.id,
        credits: pack.credits,
        amountCents: pack.amountCents,
        currency: pack.currency,
        status: 'approved',
        createdAt: new Date(purchase.created_ms).toISOString(),
      },
      user: toWireUser(change.user),
      session: change.session === null ? null : toWireSession(change.session, change.user.credits, fx.periodMs),
      serverTime: serverTime(change.nowMs),
    };
    await client.query(
      `UPDATE purchases SET status = 'approved', provider_ref = $2, credit_log_id = $3, response = $4, updated_at = clock_timestamp() WHERE id = $1`,
      [purchase.id, payment.providerRef, change.ledgerId, JSON.stringify(body)],
    );
    return { kind: 'approved', body, change };
  });
  if (outcome.kind === 'declined') throw declined();
  if (outcome.kind === 'approved') await publishBalanceChange(outcome.change, fx);
  return { kind: outcome.kind, body: outcome.body };
}
