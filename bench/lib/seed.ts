// Users and sessions created directly in PostgreSQL, in batches (DESIGN.md allows it: signup's
// bcrypt would dominate). The rows are exactly what signup and start would write: the user with
// its signup grant row, then the session with its first period charged up front.
import bcrypt from 'bcryptjs';
import type pg from 'pg';

export const benchPassword = 'bench password 123';
let hash: Promise<string> | undefined;

/** A real bcrypt hash (12 rounds) of benchPassword, computed once per process. */
export function benchPasswordHash(): Promise<string> {
  hash ??= bcrypt.hash(benchPassword, 12);
  return hash;
}

const chunk = 20_000;
const tsOf = (expr: string): string => `(timestamptz 'epoch' + (${expr}) * interval '1 millisecond')`;

/** Creates one user per entry of `credits` (email `${prefix}-${i}@bench.local`); ids in order. */
export async function seedUsers(pool: pg.Pool, prefix: string, credits: readonly number[]): Promise<string[]> {
  const ids: string[] = new Array<string>(credits.length);
  const passwordHash = await benchPasswordHash();
  for (let start = 0; start < credits.length; start += chunk) {
    const part = credits.slice(start, start + chunk);
    const { rows } = await pool.query<{ id: string; i: number }>(
      `WITH input AS (
         SELECT c, i FROM unnest($1::int[]) WITH ORDINALITY AS x(c, i)
       ),
       u AS (
         INSERT INTO users (email, password_hash, credits)
         SELECT $2 || '-' || ($3::int + i - 1) || '@bench.local', $4, c FROM input
         RETURNING id, email, credits
       ),
       g AS (
         INSERT INTO credit_logs (user_id, credits_deducted, remaining_credits, reason, "timestamp")
         SELECT id, -credits, credits, 'signup_grant', date_trunc('milliseconds', clock_timestamp()) FROM u WHERE credits > 0
       )
       SELECT id::text, split_part(split_part(email, '@', 1), '-', -1)::int AS i FROM u`,
      [part, prefix, start, passwordHash],
    );
    for (const r of rows) ids[r.i] = r.id;
  }
  return ids;
}

export function emailOf(prefix: string, i: number): string {
  return `${prefix}-${i}@bench.local`;
}

/**
 * Starts one session per user at the given start times (epoch ms), charging the first period up
 * front as start does; returns the session ids in the same order.
 */
export async function seedSessions(pool: pg.Pool, userIds: readonly string[], startMs: readonly number[]): Promise<string[]> {
  const out: string[] = new Array<string>(userIds.length);
  for (let start = 0; start < userIds.length; start += chunk) {
    const uids = userIds.slice(start, start + chunk);
    const starts = startMs.slice(start, start + chunk).map((v) => Math.round(v));
    const { rows } = await pool.query<{ id: string; i: number }>(
      `WITH input AS (
         SELECT uid, st, i FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS x(uid, st, i)
       ),
       s AS (
         INSERT INTO sessions (user_id, start_time, credits_consumed, is_active, created_at, updated_at)
         SELECT uid, ${tsOf('st')}, 1, true, ${tsOf('st')}, ${tsOf('st')} FROM input ORDER BY i
         RETURNING id, user_id, start_time
       ),
       upd AS (
         UPDATE users u SET credits = u.credits - 1 FROM s WHERE u.id = s.user_id RETURNING u.id, u.credits
       ),
       l AS (
         INSERT INTO credit_logs (user_id, session_id, credits_deducted, remaining_credits, reason, "timestamp")
         SELECT s.user_id, s.id, 1, upd.credits, 'session_charge', s.start_time FROM s JOIN upd ON upd.id = s.user_id
       )
       SELECT s.id::text, input.i::int FROM s JOIN input ON input.uid = s.user_id`,
      [uids, starts],
    );
    for (const r of rows) out[start + r.i - 1] = r.id;
  }
  return out;
}

/** The database clock in epoch ms (the billing clock). */
export async function dbNowMs(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ now_ms: number }>(`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint::float8 AS now_ms`);
  return rows[0]?.now_ms ?? Date.now();
}
