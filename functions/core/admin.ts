// The admin console: find users, look at one, grant or remove credits, end a live session, and
// the system view. Admins are the users whose email is in ADMIN_EMAILS. Every action is written
// to admin_audit (the credit changes also to the ledger, with the admin's id) in the same
// transaction as the change itself.
import assert from 'node:assert';
import { ms, query, withTransaction, type PoolClient } from '../adapters/pg';
import { disarmTimer } from '../adapters/scheduler';
import type {
  AdminAction,
  AdminActionKind,
  AdminCreditsResponse,
  AdminLedgerEntry,
  AdminSystemResponse,
  AdminUserResponse,
  AdminUserSummary,
  Page,
  SessionResponse,
} from '../wire';
import { isAdmin } from './auth';
import { changeBalance, publishBalanceChange } from './credits';
import { AppError } from './errors';
import {
  decodeCursor,
  encodeCursor,
  ledgerColumns,
  parseLimit,
  sessionColumns,
  toSessionRecord,
  toWireLedgerEntry,
  type LedgerRow,
  type SessionRow,
} from './history';
import { overdueGraceMs } from './audit';
import { serverTime, toWireSession, toWireUser } from './present';
import { scheduleSize } from './schedule';
import { publishSettlements, type Effects } from './sessions';
import { settleSessions, type UserRecord } from './store';

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const maxAdjustment = 1_000_000;

/** 403 unless the (already authenticated) user is an admin. */
export function requireAdmin(user: UserRecord): void {
  if (!isAdmin(user.email)) throw new AppError('forbidden', 'This page is for administrators.');
}

export function parseUserId(id: string | undefined): string {
  if (id === undefined || !uuidPattern.test(id)) throw new AppError('invalid_input', 'id must be a user id (a UUID).');
  return id.toLowerCase();
}

async function recordAction(
  client: PoolClient,
  adminId: string,
  action: AdminActionKind,
  targetUserId: string | null,
  payload: Record<string, unknown>,
): Promise<void> {
  await client.query(`INSERT INTO admin_audit (admin_id, action, target_user_id, payload) VALUES ($1, $2, $3, $4)`, [
    adminId,
    action,
    targetUserId,
    JSON.stringify(payload),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Users

interface UserSummaryRow {
  id: string;
  email: string;
  credits: number;
  created_ms: number;
  has_active_session: boolean;
}

const userSummaryColumns = `u.id::text AS id, u.email, u.credits, ${ms('u.created_at')} AS created_ms,
  EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id AND s.is_active) AS has_active_session`;

function toSummary(r: UserSummaryRow): AdminUserSummary {
  return {
    id: r.id,
    email: r.email,
    credits: r.credits,
    createdAt: new Date(r.created_ms).toISOString(),
    isAdmin: isAdmin(r.email),
    hasActiveSession: r.has_active_session,
  };
}

const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Users by email (A to Z), optionally those whose email contains `q` (case-insensitive) or whose
 * id is `q`; the cursor is the last email shown.
 */
export async function listUsers(q: string | undefined, cursor: string | undefined, limitText: string | undefined): Promise<Page<AdminUserSummary>> {
  const term = (q ?? '').trim().toLowerCase();
  if (term.length > 254) throw new AppError('invalid_input', 'q must be at most 254 characters.');
  const after = cursor === undefined || cursor === '' ? null : decodeCursor(cursor, (v) => v.length >= 1 && v.length <= 254);
  const limit = parseLimit(limitText);
  const byId = uuidPattern.test(term);
  const { rows } = await query<UserSummaryRow>(
    `SELECT ${userSummaryColumns} FROM users u
     WHERE ($1::text IS NULL OR lower(u.email) > $1)
       AND ($2::text = '' OR lower(u.email) LIKE '%' || $2 || '%' OR ($3::boolean AND u.id = $4::uuid))
     ORDER BY lower(u.email) LIMIT $5`,
    [after, likeEscape(term), byId, byId ? term : null, limit + 1],
  );
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return { items: shown.map(toSummary), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.email) : null };
}

interface AdminLedgerRow extends LedgerRow {
  actor_id: string | null;
  actor_email: string | null;
  note: string | null;
}

const adminLedgerColumns = `${ledgerColumns('l')}, l.actor_id::text AS actor_id,
  (SELECT a.email FROM users a WHERE a.id = l.actor_id) AS actor_email, l.note`;

function toAdminLedgerEntry(r: AdminLedgerRow): AdminLedgerEntry {
  return { ...toWireLedgerEntry(r), actorId: r.actor_id, actorEmail: r.actor_email, note: r.note };
}

interface ActionRow {
  id: string;
  admin_id: string;
  admin_email: string;
  action: AdminActionKind;
  target_user_id: string | null;
  payload: Record<string, unknown>;
  created_ms: number;
}

function toAction(r: ActionRow): AdminAction {
  return {
    id: r.id,
    adminId: r.admin_id,
    adminEmail: r.admin_email,
    action: r.action,
    targetUserId: r.target_user_id,
    payload: r.payload,
    createdAt: new Date(r.created_ms).toISOString(),
  };
}

/** One user: balance, latest sessions and ledger rows, admin actions on them. The view is audited. */
export async function userDetail(adminId: string, userId: string, periodMs: number): Promise<AdminUserResponse> {
  return withTransaction(async (client) => {
    const { rows: users } = await client.query<UserSummaryRow & { now_ms: number }>(
      `SELECT ${userSummaryColumns}, ${ms(`date_trunc('milliseconds', clock_timestamp())`)} AS now_ms FROM users u WHERE u.id = $1`,
      [userId],
    );
    const u = users[0];
    if (u === undefined) throw new AppError('not_found', 'There is no such user.');
    const [sessions, ledger, actions] = [
      await client.query<SessionRow>(`SELECT ${sessionColumns('s')} FROM sessions s WHERE s.user_id = $1 ORDER BY s.id DESC LIMIT 10`, [userId]),
      await client.query<AdminLedgerRow>(`SELECT ${adminLedgerColumns} FROM credit_logs l WHERE l.user_id = $1 ORDER BY l.id DESC LIMIT 20`, [userId]),
      await client.query<ActionRow>(
        `SELECT x.id::text, x.admin_id::text, a.email AS admin_email, x.action, x.target_user_id::text, x.payload, ${ms('x.created_at')} AS created_ms
         FROM admin_audit x JOIN users a ON a.id = x.admin_id
         WHERE x.target_user_id = $1 ORDER BY x.id DESC LIMIT 20`,
        [userId],
      ),
    ];
    await recordAction(client, adminId, 'view_user', userId, {});
    const wireSessions = sessions.rows.map((s) => toWireSession(toSessionRecord(s), u.credits, periodMs));
    return {
      user: toSummary(u),
      session: wireSessions[0] ?? null,
      sessions: wireSessions,
      ledger: ledger.rows.map(toAdminLedgerEntry),
      adminActions: actions.rows.map(toAction),
      serverTime: serverTime(u.now_ms),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Actions

/**
 * Grants (delta > 0) or removes (delta < 0) credits: settles the user's active session first,
 * then changes the balance, writes an `adjustment` ledger row with the admin's id and reason and
 * the audit row, in one transaction; then pushes, re-scores and re-arms the timer. A removal
 * larger than the balance (after the settle) is refused, never clamped.
 */
export async function adjustCredits(adminId: string, userId: string, delta: number, reason: string, fx: Effects): Promise<AdminCreditsResponse> {
  assert(Number.isSafeInteger(delta) && delta !== 0 && Math.abs(delta) <= maxAdjustment);
  const { change, entry } = await withTransaction(async (client) => {
    const change = await changeBalance(client, { userId, delta, reason: 'adjustment', actorId: adminId, note: reason }, fx.periodMs);
    await recordAction(client, adminId, delta > 0 ? 'grant_credits' : 'remove_credits', userId, {
      delta,
      reason,
      ledgerId: change.ledgerId,
      balanceAfter: change.user.credits,
    });
    const { rows } = await client.query<AdminLedgerRow>(`SELECT ${adminLedgerColumns} FROM credit_logs l WHERE l.id = $1`, [change.ledgerId]);
    const row = rows[0];
    assert(row !== undefined);
    return { change, entry: toAdminLedgerEntry(row) };
  });
  await publishBalanceChange(change, fx);
  return {
    user: toWireUser(change.user),
    session: change.session === null ? null : toWireSession(change.session, change.user.credits, fx.periodMs),
    entry,
    serverTime: serverTime(change.nowMs),
  };
}

/**
 * Ends the user's live session as a stop would (settle to now, then end it now, reason
 * `stopped`), with the audit row in the same transaction; then the user's devices hear
 * `session.ended` and the timer is disarmed. 404 when no session is active after the settle.
 */
export async function endUserSession(adminId: string, userId: string, fx: Effects): Promise<SessionResponse> {
  const outcome = await withTransaction(async (client) => {
    const { rows: users } = await client.query(`SELECT 1 FROM users WHERE id = $1`, [userId]);
    if (users.length === 0) throw new AppError('not_found', 'There is no such user.');
    const { rows } = await client.query<{ id: string }>(`SELECT id::text FROM sessions WHERE user_id = $1 AND is_active`, [userId]);
    const sessionId = rows[0]?.id;
    if (sessionId === undefined) return { results: [], stopped: null };
    const results = await settleSessions([sessionId], fx.periodMs, { stop: true, client });
    const stopped = results.find((r) => r.session.endReason === 'stopped') ?? null;
    if (stopped !== null) {
      await recordAction(client, adminId, 'end_session', userId, {
        sessionId,
        creditsConsumed: stopped.session.creditsConsumed,
        endTime: serverTime(stopped.nowMs),
      });
    }
    return { results, stopped };
  });
  // An exhausted settle still has to reach the devices and the schedule.
  await Promise.all([
    publishSettlements(outcome.results, fx),
    ...outcome.results.map((r) => disarmTimer(r.session.id).catch((err: unknown) => fx.log.warn('timer disarm failed', { err }))),
  ]);
  const stopped = outcome.stopped;
  if (stopped === null) throw new AppError('no_active_session', 'This user has no active session.');
  return { session: toWireSession(stopped.session, stopped.user.credits, fx.periodMs), user: toWireUser(stopped.user) };
}

// ---------------------------------------------------------------------------------------------
// The system view

const systemSql = `
  WITH clock AS MATERIALIZED (SELECT date_trunc('milliseconds', clock_timestamp()) AS now),
  recent AS MATERIALIZED (
    SELECT l.created_at, l.credits_deducted,
           extract(epoch FROM l.created_at - l."timestamp") * 1000 AS lateness_ms
    FROM credit_logs l, clock c
    WHERE l.created_at >= c.now - interval '15 minutes' AND l.reason = 'session_charge'
  )
  SELECT ${ms('c.now')} AS now_ms,
    (SELECT count(*)::int FROM sessions WHERE is_active) AS active_sessions,
    (SELECT count(*)::int FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.is_active
        AND ${ms('c.now')} - (${ms('s.start_time')} + (s.credits_consumed + u.credits)::float8 * $1::float8) > $2::float8) AS overdue_sessions,
    (SELECT count(*)::int FROM recent WHERE created_at >= c.now - interval '1 minute') AS charge_rows_1m,
    (SELECT COALESCE(sum(credits_deducted), 0)::int FROM recent WHERE created_at >= c.now - interval '1 minute') AS charge_credits_1m,
    (SELECT COALESCE(json_agg(json_build_object('minute', to_char(m.minute AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.000"Z"'),
                                                'rows', m.n, 'credits', m.credits) ORDER BY m.minute), '[]'::json)
       FROM (
         SELECT g.minute, count(r.*)::int AS n, COALESCE(sum(r.credits_deducted), 0)::int AS credits
         FROM generate_series(date_trunc('minute', c.now) - interval '14 minutes', date_trunc('minute', c.now), interval '1 minute') AS g(minute)
         LEFT JOIN recent r ON date_trunc('minute', r.created_at) = g.minute
         GROUP BY g.minute
       ) m) AS per_minute,
    (SELECT max(lateness_ms)::float8 FROM recent WHERE created_at >= c.now - interval '5 minutes') AS lateness_max,
    (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY lateness_ms)::float8 FROM recent WHERE created_at >= c.now - interval '5 minutes') AS lateness_p95,
    (SELECT count(*)::int FROM recent WHERE created_at >= c.now - interval '5 minutes') AS lateness_samples,
    (SELECT count(*)::int FROM purchases p WHERE p.created_at >= c.now - interval '1 hour' AND p.status = 'approved') AS approved_1h,
    (SELECT count(*)::int FROM purchases p WHERE p.created_at >= c.now - interval '1 hour' AND p.status = 'declined') AS declined_1h
  FROM clock c`;

interface SystemRow {
  now_ms: number;
  active_sessions: number;
  overdue_sessions: number;
  charge_rows_1m: number;
  charge_credits_1m: number;
  per_minute: Array<{ minute: string; rows: number; credits: number }>;
  lateness_max: number | null;
  lateness_p95: number | null;
  lateness_samples: number;
  approved_1h: number;
  declined_1h: number;
}

export async function systemStatus(fx: Effects): Promise<AdminSystemResponse> {
  const [{ rows }, scheduled] = await Promise.all([
    query<SystemRow>(systemSql, [fx.periodMs, overdueGraceMs]),
    scheduleSize().catch((err: unknown) => {
      fx.log.warn('schedule size failed', { err });
      return null;
    }),
  ]);
  const r = rows[0];
  assert(r !== undefined);
  const round = (v: number | null): number | null => (v === null ? null : Math.round(v));
  return {
    serverTime: serverTime(r.now_ms),
    periodMs: fx.periodMs,
    activeSessions: r.active_sessions,
    scheduledSessions: scheduled,
    overdueSessions: r.overdue_sessions,
    chargesLastMinute: { rows: r.charge_rows_1m, credits: r.charge_credits_1m },
    chargesPerMinute: r.per_minute,
    tickLatenessMs: { max: round(r.lateness_max), p95: round(r.lateness_p95), samples: r.lateness_samples },
    payments: { approvedLastHour: r.approved_1h, declinedLastHour: r.declined_1h },
  };
}
