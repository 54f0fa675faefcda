// Ledger helpers for the tests: the audit as strings, and balance changes that keep the invariant.
import type pg from 'pg';

/** The discrepancies of the ledger audit, as readable strings (empty when all is well). */
export async function auditProblems(periodMs: number): Promise<string[]> {
  const { auditLedger } = await import('../../functions/core/audit');
  return (await auditLedger(periodMs)).map((d) => `${d.kind} ${d.detail}`);
}

/** Sets a balance through the ledger (an adjustment row), so the invariant still holds. */
export async function setCredits(sql: pg.Pool, userId: string, credits: number): Promise<void> {
  const { rows } = await sql.query<{ credits: number }>(`SELECT credits FROM users WHERE id = $1`, [userId]);
  const delta = credits - (rows[0]?.credits ?? 0);
  await sql.query(`UPDATE users SET credits = $2 WHERE id = $1`, [userId, credits]);
  await sql.query(
    `INSERT INTO credit_logs (user_id, credits_deducted, remaining_credits, reason, "timestamp") VALUES ($1, $2, $3, 'adjustment', now())`,
    [userId, -delta, credits],
  );
}
