// `npm run audit`: checks the ledger invariant of DESIGN.md for every user and session and exits
// non-zero with a readable report of each discrepancy. Uses DATABASE_URL, or the local stack's
// embedded PostgreSQL when unset (started for the check and stopped after).
import { withLocalDatabase } from '../../infra/local/postgres';

async function main(): Promise<number> {
  return withLocalDatabase(async (databaseUrl) => {
    process.env.DATABASE_URL = databaseUrl; // eslint-disable-line no-restricted-properties
    const { config } = await import('../config');
    const { auditLedger, formatDiscrepancies } = await import('../core/audit');
    const { closeDb, query } = await import('../adapters/pg');
    try {
      const periodMs = config().periodMs;
      const counts = await query<{ users: number; sessions: number; rows: number; active: number }>(
        `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM sessions)::int AS sessions,
                (SELECT count(*) FROM credit_logs)::int AS rows, (SELECT count(*) FROM sessions WHERE is_active)::int AS active`,
      );
      const c = counts.rows[0];
      const found = await auditLedger(periodMs);
      console.log(`Audited ${c?.users ?? 0} users, ${c?.sessions ?? 0} sessions (${c?.active ?? 0} active), ${c?.rows ?? 0} ledger rows at a ${periodMs} ms period.`);
      console.log(formatDiscrepancies(found));
      if (found.length > 0) console.log(`${found.length} discrepancies.`);
      return found.length === 0 ? 0 : 1;
    } finally {
      await closeDb();
    }
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const missing = (err as { code?: string }).code === '42P01';
    console.error(missing ? 'Audit failed: the database has no ledger yet. Run npm run db:migrate (or npm run dev) first.' : `Audit failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
