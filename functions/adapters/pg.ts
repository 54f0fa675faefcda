// The only code that talks to PostgreSQL. One pool per process, built on first use.
// Locally DATABASE_URL; in the cloud the RDS Proxy host with credentials from Secrets Manager.
import pg from 'pg';
import { config } from '../config';
import { AppError } from '../core/errors';

export type Queryable = pg.Pool | pg.PoolClient;
export type { PoolClient } from 'pg';

let poolPromise: Promise<pg.Pool> | undefined;

async function connection(): Promise<pg.PoolConfig> {
  const c = config();
  if (c.databaseUrl !== undefined) return { connectionString: c.databaseUrl };
  if (c.databaseSecretArn !== undefined && c.databaseHost !== undefined) {
    // The cloud: RDS Proxy, TLS verified against Node's CAs, credentials from Secrets Manager.
    const { loadSecretJson } = await import('./secrets');
    const secret = await loadSecretJson(c.databaseSecretArn);
    return {
      host: c.databaseHost,
      port: 5432,
      user: secret.username,
      password: secret.password,
      database: c.databaseName ?? secret.dbname ?? 'postgres',
      ssl: { rejectUnauthorized: true },
    };
  }
  throw new Error('Invalid configuration: DATABASE_URL (or DATABASE_HOST and DATABASE_SECRET_ARN) is required');
}

async function createPool(): Promise<pg.Pool> {
  const pool = new pg.Pool({
    ...(await connection()),
    max: config().databasePoolMax,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    // A statement stuck behind a lock longer than this fails instead of holding the request.
    statement_timeout: 15_000,
    query_timeout: 20_000,
    keepAlive: true,
  });
  // An idle client losing its connection (database restarted) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

export function db(): Promise<pg.Pool> {
  poolPromise ??= createPool().catch((err: unknown) => {
    poolPromise = undefined;
    throw err;
  });
  return poolPromise;
}

export async function query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
  const pool = await db();
  try {
    return await pool.query<R>(text, values);
  } catch (err) {
    throw translate(err);
  }
}

/** BEGIN … COMMIT on one client; ROLLBACK on any error; the client released in `finally`. */
export async function withTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const pool = await db();
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw translate(err);
  }
  let broken = false;
  // A checked-out client has no pool listener: a connection the server cuts between two
  // statements (a restart, a failover) would be an uncaught 'error' that kills the process.
  // Listen while the transaction runs; its next statement then fails and is a 503.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw translate(err);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

export async function closeDb(): Promise<void> {
  const p = poolPromise;
  poolPromise = undefined;
  if (p !== undefined) await (await p).end().catch(() => undefined);
}

const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004']);

/** True when the error says PostgreSQL is not reachable (as opposed to a bug or bad data). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof AppError) return err.code === 'unavailable';
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && unavailableCodes.has(code)) return true;
  const message = (err as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(message)
  );
}

function translate(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isUnavailable(err)) return new AppError('unavailable', 'The database is unavailable. Try again shortly.', undefined, { cause: err });
  return err;
}

/** SQL for a timestamptz column as epoch milliseconds (a JS number; exact below 2^53). */
export const ms = (column: string): string => `(extract(epoch FROM ${column}) * 1000)::bigint::float8`;
/** SQL turning epoch milliseconds back into a timestamptz, exactly. */
export const ts = (msExpr: string): string => `(timestamptz 'epoch' + (${msExpr}) * interval '1 millisecond')`;
