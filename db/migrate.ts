// Applies the SQL migrations in db/migrations with node-pg-migrate. Re-running is harmless:
// applied files are recorded in the `pgmigrations` table, and an advisory lock makes concurrent
// runs wait for each other.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function migrate(databaseUrl: string, opts: { dir?: string; log?: (msg: string) => void } = {}): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: opts.dir ?? migrationsDir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log: opts.log ?? (() => undefined),
  });
  return applied.map((m) => m.name);
}

async function main(): Promise<void> {
  // The CLI: DATABASE_URL if set, else the local stack's embedded PostgreSQL (started and stopped).
  const { withLocalDatabase } = await import('../infra/local/postgres');
  const names = await withLocalDatabase(async (databaseUrl) => migrate(databaseUrl, { log: (m) => console.log(m) }));
  console.log(names.length === 0 ? 'Database is up to date.' : `Applied ${names.length} migration(s): ${names.join(', ')}`);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
