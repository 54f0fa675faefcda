// Starts the real local stack inside a scenario process, against the database main.ts made for
// it, with the product modules imported only after the stack has set their configuration.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { databaseUrl } from './common';

export interface BenchStack extends LocalStack {
  /** The bench's own connections (seeding and measuring), never used by the product. */
  readonly sql: pg.Pool;
  readonly redisPid: () => number | null;
}

export async function startBenchStack(opts: { periodMs: number; tickMs: number; env?: Record<string, string> }): Promise<BenchStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-bench-stack-'));
  const url = databaseUrl();
  const stack = await startLocalStack({
    port: 0,
    databaseUrl: url,
    dataDir,
    periodMs: opts.periodMs,
    tickMs: opts.tickMs,
    quiet: true,
    env: {
      LOG_LEVEL: 'ERROR',
      SIGNUP_MAX_PER_ADDRESS: '100000',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
      LOGIN_MAX_FAILURES_PER_EMAIL: '10000',
      ...opts.env,
    },
  });
  const sql = new pg.Pool({ connectionString: url, max: 4 });
  sql.on('error', () => undefined);
  const port = Number(new URL(stack.redisUrl).port);
  return {
    ...stack,
    sql,
    redisPid: () => redisPidOnPort(port),
    async stop() {
      await sql.end().catch(() => undefined);
      await stack.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The redis-server child listening on `port` (its command line names the port). */
function redisPidOnPort(port: number): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if ((cmd[0] ?? '').includes('redis-server') && cmd.join(' ').includes(`${port}`)) return Number(entry);
      if ((cmd[0] ?? '').includes('redis-server') && cmd[1]?.endsWith(`:${port}`)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}
