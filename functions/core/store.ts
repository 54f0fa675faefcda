// The ledger and session store: every read and write of balances, sessions and credit_logs.
//
// One settle: `settleSessions(ids)` applies the billing rule to a list of sessions in one call
// (a PL/pgSQL function), set-based: it locks the session and user rows in session-id order,
// reads the database clock, charges what is due (capped by the balance), ends the exhausted
// sessions at exactly t0 + (consumed + paid)·P, and writes one credit_logs row per session with
// the number of periods it pays. The tick passes a batch; stop, expire and reads pass one.
// Writers recompute from stored state, so a retry, a duplicate or a race charges nothing extra.
import assert from 'node:assert';
import type pg from 'pg';
import { ms, query, ts, withTransaction } from '../adapters/pg';
import type { EndReason } from '../wire';
import { AppError } from './errors';

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly credits: number;
}

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly startMs: number;
  readonly endMs: number | null;
  readonly creditsConsumed: number;
  readonly isActive: boolean;
  readonly endReason: EndReason | null;
}

export interface SettleResult {
  readonly session: SessionRecord;
  readonly user: UserRecord;
  /** Credits charged by this settle (0 when nothing was due). */
  readonly paid: number;
  /** This settle ended the session (so its writer pushes `session.ended`). */
  readonly ended: boolean;
  /** The database clock this settle used. */
  readonly nowMs: number;
}

export interface SessionRow {
  id: string;
  user_id: string;
  start_ms: number;
  end_ms: number | null;
  credits_consumed: number;
  is_active: boolean;
  end_reason: EndReason | null;
}

/** The columns of a sessions row as `SessionRow` reads them. */
export const sessionColumns = (alias: string): string =>
  `${alias}.id::text AS id, ${alias}.user_id::text AS user_id, ${ms(`${alias}.start_time`)} AS start_ms,
   ${ms(`${alias}.end_time`)} AS end_ms, ${alias}.credits_consumed, ${alias}.is_active, ${alias}.end_reason`;

export function toSessionRecord(r: SessionRow): SessionRecord {
  return {
    id: r.id,
    userId: r.user_id,
    startMs: r.start_ms,
    endMs: r.end_ms,
    creditsConsumed: r.credits_consumed,
    isActive: r.is_active,
    endReason: r.end_reason,
  };
}

const nowSql = `date_trunc('milliseconds', clock_timestamp())`;

// ---------------------------------------------------------------------------------------------
// Settle

// db/migrations/1700000000005_settle_function.sql: the settle as a PL/pgSQL function, planned
// once per connection, not per call. It locks the sessions and their users in session-id order
// (the lock order every writer shares: session, then its user), waiting for other writers or,
// with `skipLocked`, leaving out what they hold; only then reads the database clock (DESIGN.md,
// One clock) and charges, ends and writes the ledger rows in one statement.
//
// A read (status, profile) passes `skipLocked`: a session another writer holds is being settled
// by it at this moment, so the read does not queue behind that writer's whole batch (and, when
// the tick falls behind and every read finds a boundary due, pile onto the rows the tick is
// charging); it answers as of just before that writer commits, and the push follows.
const settleSql = `SELECT * FROM settle_sessions($1::bigint[], $2::bigint, $3::boolean, $4::boolean)`;

interface SettleRow {
  id: string;
  user_id: string;
  email: string;
  start_ms: number;
  end_ms: number | null;
  credits_consumed: number;
  credits: number;
  end_reason: EndReason | null;
  paid: number;
  now_ms: number;
}

/**
 * Settles the given sessions to the database's now. With `stop`, sessions still active after
 * the settle end now with reason `stopped`. Sessions not active (ended, unknown) are left out
 * of the result, and with `skipLocked` so are sessions another transaction holds locked. Runs
 * inside `client`'s transaction when given, else as a statement of its own (one statement is
 * one transaction: no BEGIN and COMMIT round trips).
 */
export async function settleSessions(
  sessionIds: readonly string[],
  periodMs: number,
  opts: { stop?: boolean; client?: pg.PoolClient; skipLocked?: boolean } = {},
): Promise<SettleResult[]> {
  assert(Number.isSafeInteger(periodMs) && periodMs > 0);
  if (sessionIds.length === 0) return [];
  const params = [sessionIds, periodMs, opts.stop === true, opts.skipLocked === true];
  const { rows } = opts.client !== undefined ? await opts.client.query<SettleRow>(settleSql, params) : await query<SettleRow>(settleSql, params);
  return rows.map((r) => {
    assert(r.credits >= 0);
    assert(r.paid >= 0);
    return {
      session: {
        id: r.id,
        userId: r.user_id,
        startMs: r.start_ms,
        endMs: r.end_ms,
        creditsConsumed: r.credits_consumed,
        isActive: r.end_ms === null,
        endReason: r.end_reason,
      },
      user: { id: r.user_id, email: r.email, credits: r.credits },
      paid: r.paid,
      ended: r.end_ms !== null,
      nowMs: r.now_ms,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Users

export async function createUser(email: string, passwordHash: string, signupCredits: number): Promise<UserRecord> {
  assert(Number.isSafeInteger(signupCredits) && signupCredits >= 0);
  try {
    return await withTransaction(async (client) => {
      const { rows } = await client.query<{ id: string; email: string; credits: number }>(
        `INSERT INTO users (email, password_hash, credits) VALUES ($1, $2, $3) RETURNING id::text, email, credits`,
        [email, passwordHash, signupCredits],
      );
      const user = rows[0];
      assert(user !== undefined);
      if (signupCredits > 0) {
        await client.query(
          `INSERT INTO credit_logs (user_id, credits_deducted, remaining_credits, reason, "timestamp")
           VALUES ($1, $2, $3, 'signup_grant', ${nowSql})`,
          [user.id, -signupCredits, signupCredits],
        );
      }
      return user;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new AppError('email_taken', 'An account with this email already exists.');
    throw err;
  }
}

export async function findUserForLogin(email: string): Promise<(UserRecord & { passwordHash: string }) | null> {
  const { rows } = await query<{ id: string; email: string; credits: number; password_hash: string }>(
    `SELECT id::text, email, credits, password_hash FROM users WHERE lower(email) = $1`,
    [email],
  );
  const r = rows[0];
  return r === undefined ? null : { id: r.id, email: r.email, credits: r.credits, passwordHash: r.password_hash };
}

export interface Account {
  readonly user: UserRecord;
  readonly revoked: boolean;
  /** The active session, else the latest ended one, else null. */
  readonly session: SessionRecord | null;
  readonly nowMs: number;
}

// db/migrations/1700000000004_account_function.sql: planned once per connection, not per request.
const accountSql = `SELECT * FROM account_snapshot($1::uuid, $2)`;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One round trip: the user, whether the token is revoked, the latest session, the clock. */
export async function readAccount(userId: string, jti: string): Promise<Account | null> {
  if (!uuidPattern.test(userId)) return null;
  const { rows } = await query<
    SessionRow & { account_id: string; email: string; credits: number; revoked: boolean; now_ms: number; id: string | null }
  >(accountSql, [userId, jti]);
  const r = rows[0];
  if (r === undefined) return null;
  return {
    user: { id: r.account_id, email: r.email, credits: r.credits },
    revoked: r.revoked,
    session: r.id === null ? null : toSessionRecord({ ...r, id: r.id, user_id: r.account_id }),
    nowMs: r.now_ms,
  };
}

/** True when a settle at `nowMs` would change the session (a boundary is due). */
export function isSettleDue(session: SessionRecord | null, nowMs: number, periodMs: number): boolean {
  if (session === null || !session.isActive) return false;
  return nowMs >= session.startMs + session.creditsConsumed * periodMs;
}

export async function revokeToken(jti: string, userId: string, expiresAtMs: number): Promise<void> {
  await query(
    `INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ($1, $2, ${ts('$3::bigint')})
     ON CONFLICT (jti) DO NOTHING`,
    [jti, userId, expiresAtMs],
  );
}

export async function isTokenRevoked(jti: string): Promise<boolean> {
  const { rows } = await query<{ revoked: boolean }>(`SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1) AS revoked`, [jti]);
  return rows[0]?.revoked === true;
}

/** Removes revocations of tokens that have expired anyway. */
export async function purgeExpiredRevocations(): Promise<number> {
  const { rowCount } = await query(`DELETE FROM revoked_tokens WHERE expires_at < now()`);
  return rowCount ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Sessions

export async function activeSessionId(userId: string): Promise<string | null> {
  const { rows } = await query<{ id: string }>(`SELECT id::text FROM sessions WHERE user_id = $1 AND is_active`, [userId]);
  return rows[0]?.id ?? null;
}

export interface StartResult {
  readonly session: SessionRecord;
  readonly user: UserRecord;
  readonly nowMs: number;
  /** A previous session this start found exhausted and ended first. */
  readonly settledBefore: SettleResult[];
}

/**
 * Starts a session: settles any active session first (it may have run out), then, with the user
 * row locked, checks the balance, inserts the session at the database's now and charges the
 * first period up front, all in one transaction.
 */
export async function startSession(userId: string, periodMs: number): Promise<StartResult> {
  const previous = await activeSessionId(userId);
  const settledBefore = previous === null ? [] : await settleSessions([previous], periodMs);
  try {
    return await withTransaction(async (client) => {
      const { rows: users } = await client.query<{ id: string; email: string; credits: number }>(
        `SELECT id::text, email, credits FROM users WHERE id = $1 FOR UPDATE`,
        [userId],
      );
      const user = users[0];
      if (user === undefined) throw new AppError('unauthorized', 'Your session has expired. Please sign in again.');
      const { rows: active } = await client.query(`SELECT 1 FROM sessions WHERE user_id = $1 AND is_active`, [userId]);
      if (active.length > 0) throw new AppError('session_active', 'A session is already running.');
      if (user.credits < 1) throw new AppError('insufficient_credits', 'You need at least 1 credit to start a session.');
      const { rows } = await client.query<SessionRow & { now_ms: number }>(
        `WITH clock AS MATERIALIZED (SELECT ${nowSql} AS now),
         ins AS (
           INSERT INTO sessions (user_id, start_time, credits_consumed, is_active, created_at, updated_at)
           SELECT $1, now, 1, true, now, now FROM clock
           RETURNING *
         ),
         upd AS (
           UPDATE users SET credits = credits - 1, updated_at = (SELECT now FROM clock) WHERE id = $1 RETURNING credits
         ),
         log AS (
           INSERT INTO credit_logs (user_id, session_id, credits_deducted, remaining_credits, reason, "timestamp")
           SELECT $1, ins.id, 1, (SELECT credits FROM upd), 'session_charge', ins.start_time FROM ins
         )
         SELECT ${sessionColumns('ins')}, ${ms('ins.start_time')} AS now_ms FROM ins`,
        [userId],
      );
      const row = rows[0];
      assert(row !== undefined);
      return {
        session: toSessionRecord(row),
        user: { id: user.id, email: user.email, credits: user.credits - 1 },
        nowMs: row.now_ms,
        settledBefore,
      };
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new AppError('session_active', 'A session is already running.');
    throw err;
  }
}

/** Stops the user's active session: settles to now, then ends it now (reason `stopped`). */
export async function stopSession(userId: string, periodMs: number): Promise<SettleResult | { exhausted: SettleResult[] }> {
  const id = await activeSessionId(userId);
  if (id === null) throw new AppError('no_active_session', 'There is no active session to stop.');
  const results = await settleSessions([id], periodMs, { stop: true });
  const result = results[0];
  if (result === undefined || result.session.endReason !== 'stopped') {
    // It ran out at or before the stop (or another writer ended it first).
    return { exhausted: results };
  }
  return result;
}

export async function getSession(sessionId: string): Promise<SessionRecord | null> {
  if (!/^\d{1,18}$/.test(sessionId)) return null;
  const { rows } = await query<SessionRow>(`SELECT ${sessionColumns('s')} FROM sessions s WHERE s.id = $1`, [sessionId]);
  const r = rows[0];
  return r === undefined ? null : toSessionRecord(r);
}

export async function getUser(userId: string): Promise<UserRecord | null> {
  if (!uuidPattern.test(userId)) return null;
  const { rows } = await query<UserRecord>(`SELECT id::text, email, credits FROM users WHERE id = $1`, [userId]);
  return rows[0] ?? null;
}

/** How many sessions are active (an index-only count over the partial index of active ones). */
export async function countActiveSessions(): Promise<number> {
  const { rows } = await query<{ n: number }>(`SELECT count(*)::int AS n FROM sessions WHERE is_active`);
  return rows[0]?.n ?? 0;
}

/** Every active session with its next charge time: the schedule's truth, to rebuild it. */
export async function listActiveSessions(periodMs: number): Promise<Array<{ id: string; nextChargeMs: number }>> {
  const { rows } = await query<{ id: string; next_ms: number }>(
    `SELECT id::text, ${ms('start_time')} + credits_consumed::float8 * $1::float8 AS next_ms FROM sessions WHERE is_active`,
    [periodMs],
  );
  return rows.map((r) => ({ id: r.id, nextChargeMs: r.next_ms }));
}

export async function databaseNowMs(): Promise<number> {
  const { rows } = await query<{ now_ms: number }>(`SELECT ${ms(nowSql)} AS now_ms`);
  const r = rows[0];
  assert(r !== undefined);
  return r.now_ms;
}

export async function ping(): Promise<void> {
  await query('SELECT 1');
}
