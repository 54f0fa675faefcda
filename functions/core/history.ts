// History: a user's past sessions and ledger rows, newest first, paginated by an opaque cursor
// (base64url of the last id shown), and the per-day usage behind the charts. Read-only.
// The row mappers for sessions and ledger rows live here and are shared with the admin views.
import assert from 'node:assert';
import { ms, query } from '../adapters/pg';
import type { LedgerReason, Page, UsageDay, UsageResponse, WireLedgerEntry, WireSession } from '../wire';
import { AppError } from './errors';
import { toWireSession } from './present';
import { sessionColumns, toSessionRecord, type SessionRow } from './store';

export const defaultPageLimit = 20;
export const maxPageLimit = 100;
export const maxUsageDays = 366;

// ---------------------------------------------------------------------------------------------
// Cursors and page parameters

export function encodeCursor(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

/** Decodes a cursor and checks it with `valid`; anything else is a 400. */
export function decodeCursor(cursor: string, valid: (value: string) => boolean): string {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw new AppError('invalid_input', 'The cursor is not valid.');
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  // Only the canonical encoding of a valid value is accepted (no padding games, no other ids).
  if (!valid(value) || encodeCursor(value) !== cursor) throw new AppError('invalid_input', 'The cursor is not valid.');
  return value;
}

const isRowId = (v: string): boolean => /^[1-9]\d{0,17}$/.test(v);

export interface PageQuery {
  /** Rows with an id below this one (null: from the newest). */
  readonly beforeId: string | null;
  readonly limit: number;
}

export function parseLimit(limit: string | undefined): number {
  if (limit === undefined || limit === '') return defaultPageLimit;
  if (!/^\d{1,3}$/.test(limit)) throw new AppError('invalid_input', `limit must be a whole number from 1 to ${maxPageLimit}.`);
  const n = Number(limit);
  if (n < 1 || n > maxPageLimit) throw new AppError('invalid_input', `limit must be a whole number from 1 to ${maxPageLimit}.`);
  return n;
}

/** `?cursor=&limit=` of the id-ordered lists: an empty value counts as absent. */
export function parsePageQuery(cursor: string | undefined, limit: string | undefined): PageQuery {
  return {
    beforeId: cursor === undefined || cursor === '' ? null : decodeCursor(cursor, isRowId),
    limit: parseLimit(limit),
  };
}

/** Rows fetched with `limit + 1`: the page and the cursor of the next one. */
export function toPage<R, T>(rows: readonly R[], limit: number, idOf: (row: R) => string, map: (row: R) => T): Page<T> {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    items: shown.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(idOf(last)) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Row mappers (sessions and ledger rows, as the history and admin views read them)

export { sessionColumns, toSessionRecord, type SessionRow } from './store';

export interface LedgerRow {
  id: string;
  session_id: string | null;
  credits_deducted: number;
  remaining_credits: number;
  reason: LedgerReason;
  timestamp_ms: number;
  created_ms: number;
  pack: string | null;
}

export const ledgerColumns = (alias: string): string =>
  `${alias}.id::text AS id, ${alias}.session_id::text AS session_id, ${alias}.credits_deducted, ${alias}.remaining_credits,
   ${alias}.reason, ${ms(`${alias}."timestamp"`)} AS timestamp_ms, ${ms(`${alias}.created_at`)} AS created_ms,
   (SELECT p.pack FROM purchases p WHERE p.credit_log_id = ${alias}.id) AS pack`;

const iso = (msValue: number): string => new Date(msValue).toISOString();

export function toWireLedgerEntry(r: LedgerRow): WireLedgerEntry {
  return {
    id: r.id,
    sessionId: r.session_id,
    creditsDeducted: r.credits_deducted,
    remainingCredits: r.remaining_credits,
    reason: r.reason,
    timestamp: iso(r.timestamp_ms),
    createdAt: iso(r.created_ms),
    pack: r.pack,
  };
}

// ---------------------------------------------------------------------------------------------
// Queries

/**
 * A user's sessions, newest first. Stored values: an active session shows what it has been
 * charged so far (the status endpoint settles it to the second).
 */
export async function sessionHistory(userId: string, page: PageQuery, periodMs: number): Promise<Page<WireSession>> {
  const { rows } = await query<SessionRow & { credits: number }>(
    `SELECT ${sessionColumns('s')}, u.credits
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.user_id = $1 AND ($2::bigint IS NULL OR s.id < $2::bigint)
     ORDER BY s.id DESC LIMIT $3`,
    [userId, page.beforeId, page.limit + 1],
  );
  return toPage(rows, page.limit, (r) => r.id, (r) => toWireSession(toSessionRecord(r), r.credits, periodMs));
}

/** A user's ledger rows, newest first. */
export async function ledgerHistory(userId: string, page: PageQuery): Promise<Page<WireLedgerEntry>> {
  const { rows } = await query<LedgerRow>(
    `SELECT ${ledgerColumns('l')} FROM credit_logs l
     WHERE l.user_id = $1 AND ($2::bigint IS NULL OR l.id < $2::bigint)
     ORDER BY l.id DESC LIMIT $3`,
    [userId, page.beforeId, page.limit + 1],
  );
  return toPage(rows, page.limit, (r) => r.id, toWireLedgerEntry);
}

export function parseUsageDays(days: string | undefined): number {
  if (days === undefined || days === '') return 30;
  if (!/^\d{1,3}$/.test(days) || Number(days) < 1 || Number(days) > maxUsageDays) {
    throw new AppError('invalid_input', `days must be a whole number from 1 to ${maxUsageDays}.`);
  }
  return Number(days);
}

// Days are UTC. A charge counts on the day of the boundary it pays (its `timestamp`); rows are
// found by created_at first (the BRIN index), which is never before the timestamp.
const usageSql = `
  WITH bounds AS MATERIALIZED (
    SELECT date_trunc('day', clock_timestamp() AT TIME ZONE 'UTC') AS today,
           date_trunc('day', clock_timestamp() AT TIME ZONE 'UTC') - ($2::int - 1) * interval '1 day' AS first_day
  ),
  days AS (
    SELECT generate_series(b.first_day, b.today, interval '1 day') AS day FROM bounds b
  ),
  started AS (
    SELECT date_trunc('day', s.start_time AT TIME ZONE 'UTC') AS day, count(*)::int AS n
    FROM sessions s, bounds b
    WHERE s.user_id = $1 AND s.start_time >= b.first_day AT TIME ZONE 'UTC'
    GROUP BY 1
  ),
  moved AS (
    SELECT date_trunc('day', l."timestamp" AT TIME ZONE 'UTC') AS day,
           COALESCE(sum(l.credits_deducted) FILTER (WHERE l.reason = 'session_charge'), 0)::int AS spent,
           COALESCE(-sum(l.credits_deducted) FILTER (WHERE l.credits_deducted < 0), 0)::int AS added
    FROM credit_logs l, bounds b
    WHERE l.user_id = $1 AND l.created_at >= b.first_day AT TIME ZONE 'UTC' AND l."timestamp" >= b.first_day AT TIME ZONE 'UTC'
    GROUP BY 1
  )
  SELECT to_char(d.day, 'YYYY-MM-DD') AS date, COALESCE(started.n, 0) AS sessions,
         COALESCE(moved.spent, 0) AS spent, COALESCE(moved.added, 0) AS added
  FROM days d LEFT JOIN started USING (day) LEFT JOIN moved USING (day)
  ORDER BY d.day`;

export async function usageByDay(userId: string, days: number, periodMs: number): Promise<UsageResponse> {
  assert(Number.isSafeInteger(days) && days >= 1 && days <= maxUsageDays);
  const { rows } = await query<{ date: string; sessions: number; spent: number; added: number }>(usageSql, [userId, days]);
  const out: UsageDay[] = rows.map((r) => ({ date: r.date, sessions: r.sessions, creditsSpent: r.spent, creditsAdded: r.added }));
  return { days: out, periodMs };
}
