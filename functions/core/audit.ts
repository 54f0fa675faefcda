// The invariant of DESIGN.md, checkable at any time, for one user or all:
// - credits = −Σ credits_deducted over the user's ledger rows, credits ≥ 0, and the newest row's
//   remaining_credits equals credits;
// - each session's credits_consumed = Σ credits_deducted of its rows;
// - no active session more than 10 s past its endsAt (tick and timer both failed);
// - at most one active session per user;
// - each ended session was charged exactly what the billing rule gives for its end;
// - every ledger row's user exists, and a charge's session exists and belongs to that user (the
//   ledger has no foreign keys on its hot insert path: db/migrations/1700000000003_faster_charges.sql).
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { ms, withTransaction, type PoolClient } from '../adapters/pg';

export interface Discrepancy {
  readonly kind:
    | 'balance_mismatch'
    | 'negative_balance'
    | 'newest_row_mismatch'
    | 'session_consumed_mismatch'
    | 'overdue_session'
    | 'two_active_sessions'
    | 'exhausted_end_mismatch'
    | 'stopped_charge_mismatch'
    | 'ledger_row_orphaned';
  readonly userId: string;
  readonly sessionId?: string;
  readonly detail: string;
}

export const overdueGraceMs = 10_000;

export async function auditLedger(periodMs: number, userId?: string): Promise<Discrepancy[]> {
  // Set-based: one aggregate per table (not a lookup per row), in one read-only snapshot, with no
  // statement timeout — an audit of a large ledger may take longer than a request may.
  return withTransaction(async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await client.query('SET LOCAL statement_timeout = 0');
    return auditIn(client, periodMs, userId);
  });
}

// The pool's clients give up reading an answer after 20 s (functions/adapters/pg.ts); an audit
// of a ledger of millions of rows takes longer, so its queries wait up to an hour.
const auditReadTimeoutMs = 3_600_000;

async function auditIn(client: PoolClient, periodMs: number, userId: string | undefined): Promise<Discrepancy[]> {
  const query = <R extends QueryResultRow>(text: string, values: unknown[]): Promise<QueryResult<R>> =>
    client.query<R>({ text, values, query_timeout: auditReadTimeoutMs } as QueryConfig);
  const filter = userId === undefined ? '' : 'AND u.id = $2::uuid';
  const logFilter = userId === undefined ? '' : 'WHERE l.user_id = $2::uuid';
  const params: unknown[] = userId === undefined ? [periodMs] : [periodMs, userId];
  const out: Discrepancy[] = [];

  const users = await query<{ id: string; credits: number; ledger_sum: number; newest_remaining: number | null }>(
    `WITH sums AS (
       SELECT l.user_id, -sum(l.credits_deducted)::int AS ledger_sum, max(l.id) AS newest_id
       FROM credit_logs l ${logFilter} GROUP BY l.user_id
     )
     SELECT u.id::text, u.credits, COALESCE(s.ledger_sum, 0) AS ledger_sum, n.remaining_credits AS newest_remaining
     FROM users u
     LEFT JOIN sums s ON s.user_id = u.id
     LEFT JOIN credit_logs n ON n.id = s.newest_id
     WHERE $1::int > 0 ${filter}`,
    params,
  );
  for (const u of users.rows) {
    if (u.credits < 0) out.push({ kind: 'negative_balance', userId: u.id, detail: `credits ${u.credits}` });
    if (u.credits !== u.ledger_sum) {
      out.push({ kind: 'balance_mismatch', userId: u.id, detail: `credits ${u.credits} but the ledger sums to ${u.ledger_sum}` });
    }
    if (u.newest_remaining !== null && u.newest_remaining !== u.credits) {
      out.push({ kind: 'newest_row_mismatch', userId: u.id, detail: `credits ${u.credits} but the newest ledger row says ${u.newest_remaining}` });
    }
  }

  const sessions = await query<{
    id: string;
    user_id: string;
    consumed: number;
    ledger_sum: number;
    is_active: boolean;
    end_reason: string | null;
    start_ms: number;
    end_ms: number | null;
    credits: number;
    now_ms: number;
  }>(
    `WITH sums AS (
       SELECT l.session_id, sum(l.credits_deducted)::int AS ledger_sum
       FROM credit_logs l WHERE l.session_id IS NOT NULL ${userId === undefined ? '' : 'AND l.user_id = $2::uuid'} GROUP BY l.session_id
     )
     SELECT s.id::text, s.user_id::text, s.credits_consumed AS consumed,
            COALESCE(ss.ledger_sum, 0) AS ledger_sum,
            s.is_active, s.end_reason, ${ms('s.start_time')} AS start_ms, ${ms('s.end_time')} AS end_ms,
            u.credits, ${ms('clock_timestamp()')} AS now_ms
     FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN sums ss ON ss.session_id = s.id
     WHERE $1::int > 0 ${filter}`,
    params,
  );
  const activeByUser = new Map<string, number>();
  for (const s of sessions.rows) {
    if (s.consumed !== s.ledger_sum) {
      out.push({ kind: 'session_consumed_mismatch', userId: s.user_id, sessionId: s.id, detail: `credits_consumed ${s.consumed} but its ledger rows sum to ${s.ledger_sum}` });
    }
    if (s.is_active) {
      activeByUser.set(s.user_id, (activeByUser.get(s.user_id) ?? 0) + 1);
      const endsAtMs = s.start_ms + (s.consumed + s.credits) * periodMs;
      if (s.now_ms - endsAtMs > overdueGraceMs) {
        out.push({ kind: 'overdue_session', userId: s.user_id, sessionId: s.id, detail: `active ${Math.round((s.now_ms - endsAtMs) / 1000)} s past its end` });
      }
    } else if (s.end_ms !== null) {
      const periodsDue = 1 + Math.floor((s.end_ms - s.start_ms) / periodMs);
      if (s.end_reason === 'exhausted' && s.end_ms !== s.start_ms + s.consumed * periodMs) {
        out.push({ kind: 'exhausted_end_mismatch', userId: s.user_id, sessionId: s.id, detail: `ended at ${s.end_ms - s.start_ms} ms after start, ${s.consumed} credits buy ${s.consumed * periodMs} ms` });
      }
      if (s.end_reason === 'stopped' && s.consumed !== periodsDue) {
        out.push({ kind: 'stopped_charge_mismatch', userId: s.user_id, sessionId: s.id, detail: `stopped after ${s.end_ms - s.start_ms} ms: ${periodsDue} credits due, ${s.consumed} charged` });
      }
    }
  }
  for (const [uid, n] of activeByUser) {
    if (n > 1) out.push({ kind: 'two_active_sessions', userId: uid, detail: `${n} active sessions` });
  }

  const orphans = await query<{ user_id: string; session_id: string | null; n: number; no_user: boolean; no_session: boolean }>(
    `SELECT l.user_id::text, l.session_id::text, count(*)::int AS n,
            bool_or(u.id IS NULL) AS no_user, bool_or(l.session_id IS NOT NULL AND s.id IS NULL) AS no_session
     FROM credit_logs l
     LEFT JOIN users u ON u.id = l.user_id
     LEFT JOIN sessions s ON s.id = l.session_id
     WHERE (u.id IS NULL OR (l.session_id IS NOT NULL AND (s.id IS NULL OR s.user_id <> l.user_id)))
       AND $1::int > 0 ${userId === undefined ? '' : 'AND l.user_id = $2::uuid'}
     GROUP BY l.user_id, l.session_id`,
    params,
  );
  for (const o of orphans.rows) {
    const what = o.no_user ? 'a user that does not exist' : o.no_session ? `session ${o.session_id} that does not exist` : `session ${o.session_id} of another user`;
    out.push({ kind: 'ledger_row_orphaned', userId: o.user_id, ...(o.session_id === null ? {} : { sessionId: o.session_id }), detail: `${o.n} ledger row(s) point at ${what}` });
  }
  return out;
}

export function formatDiscrepancies(list: readonly Discrepancy[]): string {
  if (list.length === 0) return 'No discrepancies: every balance matches its ledger.';
  return list.map((d) => `${d.kind}: user ${d.userId}${d.sessionId === undefined ? '' : ` session ${d.sessionId}`}: ${d.detail}`).join('\n');
}
