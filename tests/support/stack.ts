// Each test file runs the real local stack in its own process: its own database (cloned from the
// migrated template), its own redis-server, the Upstash bridge, the gateway and the tick.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { createTestDatabase } from './db';

export interface TestStack extends LocalStack {
  /** A direct connection for assertions (never used by the product). */
  readonly sql: pg.Pool;
}

export async function startTestStack(opts: { periodMs?: number; tickMs?: number; env?: Record<string, string>; siteDir?: string } = {}): Promise<TestStack> {
  const databaseUrl = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-test-data-'));
  const stack = await startLocalStack({
    port: 0,
    databaseUrl,
    dataDir,
    periodMs: opts.periodMs ?? 100,
    tickMs: opts.tickMs ?? 50,
    quiet: true,
    siteDir: opts.siteDir,
    env: { LOG_LEVEL: 'ERROR', BCRYPT_ROUNDS: '4', SIGNUP_MAX_PER_ADDRESS: '100000', LOGIN_MAX_FAILURES_PER_ADDRESS: '100000', ...opts.env },
  });
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  return {
    ...stack,
    sql,
    async stop() {
      await sql.end();
      await stack.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
