// The whole product on one machine, from the same handlers that run in Lambda: PostgreSQL
// (DATABASE_URL or embedded), Redis (REDIS_URL or a redis-server child) behind the Upstash REST
// bridge, migrations, the gateway (site, API, WebSocket, @connections, Scheduler) and the tick.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { freePort } from './free-port';
import { startEmbeddedPostgres, type LocalPostgres } from './postgres';
import { startRedisServer } from './redis-server';
import { firstMessage, startThread } from './threads';

export interface LocalStackOptions {
  /** 0 picks a free port. Default: PORT or 3000. */
  readonly port?: number;
  readonly host?: string;
  readonly databaseUrl?: string;
  readonly redisUrl?: string;
  /** Where the embedded PostgreSQL, Redis's files and the generated JWT secret live. */
  readonly dataDir?: string;
  /** Keep Redis's data across restarts (dev); tests run it in memory. */
  readonly persistRedis?: boolean;
  readonly periodMs?: number;
  readonly tickMs?: number;
  readonly siteDir?: string;
  readonly quiet?: boolean;
  /** Extra environment for the functions (e.g. ADMIN_EMAILS, LOG_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (msg: string) => void;
}

export interface LocalStack {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly upstashUrl: string;
  readonly upstashToken: string;
  /** Stops the local tick loop (to test timers alone or a dead tick) and starts it again. */
  pauseTick(): Promise<void>;
  resumeTick(): void;
  connectionCount(): number;
  stop(): Promise<void>;
}

let started = false;

/** The Upstash REST bridge (upstash-bridge.ts) on a thread of its own. */
async function startBridgeThread(opts: { redisUrl: string; token: string }): Promise<{ url: string; close(): Promise<void> }> {
  const worker = startThread('bridge-worker', opts);
  try {
    const { url } = await firstMessage<{ type: 'ready'; url: string }>(worker, 'ready');
    return {
      url,
      async close() {
        worker.postMessage('close');
        await firstMessage(worker, 'closed').catch(() => undefined);
        await worker.terminate();
      },
    };
  } catch (err) {
    await worker.terminate();
    throw err;
  }
}

function jwtSecretFor(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  if (started) throw new Error('one local stack per process: the functions read their configuration once');
  started = true;
  const say = opts.quiet === true ? () => undefined : (opts.log ?? ((m: string) => console.log(m)));
  const env = process.env;
  const dataDir = path.resolve(opts.dataDir ?? path.join(process.cwd(), '.data'));
  const host = opts.host ?? '127.0.0.1';
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };

  try {
    // PostgreSQL
    let databaseUrl = opts.databaseUrl ?? (env.DATABASE_URL || undefined);
    if (databaseUrl === undefined) {
      say('Starting embedded PostgreSQL…');
      const pg: LocalPostgres = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres') });
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
    }

    // Redis and the Upstash REST bridge in front of it
    let redisUrl = opts.redisUrl ?? (env.REDIS_URL || undefined);
    if (redisUrl === undefined) {
      const redisServer = await startRedisServer(
        opts.persistRedis === true ? { dataDir: path.join(dataDir, 'redis'), persist: true } : {},
      );
      stops.push(() => redisServer.stop());
      redisUrl = redisServer.url;
    }
    let upstashUrl = env.UPSTASH_REDIS_REST_URL || undefined;
    let upstashToken = env.UPSTASH_REDIS_REST_TOKEN || undefined;
    if (upstashUrl === undefined || upstashToken === undefined) {
      upstashToken = randomBytes(24).toString('base64url');
      const bridge = await startBridgeThread({ redisUrl, token: upstashToken });
      stops.push(() => bridge.close());
      upstashUrl = bridge.url;
    }

    // The functions' configuration, as the cloud stack would set it.
    const port = opts.port === 0 ? await freePort(host) : (opts.port ?? Number(env.PORT ?? 3000));
    const origin = `http://${host}:${port}`;
    const setDefault = (k: string, v: string): void => {
      if (env[k] === undefined || env[k] === '') env[k] = v;
    };
    env.DATABASE_URL = databaseUrl;
    env.UPSTASH_REDIS_REST_URL = upstashUrl;
    env.UPSTASH_REDIS_REST_TOKEN = upstashToken;
    env.WS_CALLBACK_URL = origin;
    env.SCHEDULER_ENDPOINT = `${origin}/_local/scheduler`;
    if (opts.periodMs !== undefined) env.CREDIT_PERIOD_MS = String(opts.periodMs);
    if (opts.tickMs !== undefined) env.TICK_MS = String(opts.tickMs);
    setDefault('ALLOWED_ORIGINS', `${origin},http://localhost:${port}`);
    setDefault('JWT_SECRET', jwtSecretFor(dataDir));
    setDefault('AWS_REGION', 'us-east-1');
    // One process serves every request here: bcrypt runs on a worker thread, off the event loop.
    setDefault('PASSWORD_HASH_WORKERS', '1');
    // The SDK clients need some credentials; locally any will do.
    setDefault('AWS_ACCESS_KEY_ID', 'local');
    setDefault('AWS_SECRET_ACCESS_KEY', 'local');
    for (const [k, v] of Object.entries(opts.env ?? {})) env[k] = v;

    const { config } = await import('../../functions/config');
    const c = config();

    say('Applying migrations…');
    const { migrate } = await import('../../db/migrate');
    await migrate(databaseUrl);

    const { httpHandlers, wsHandlers, backgroundHandlers } = await import('../../functions/handlers/index');
    const { startGateway } = await import('./gateway');
    const gateway = await startGateway({
      host,
      port,
      siteDir: opts.siteDir ?? path.resolve('web/out'),
      httpHandlers,
      wsHandlers,
      expire: (input) => backgroundHandlers.expire(input),
      allowedOrigins: c.allowedOrigins,
      onLog: (line) => console.log(JSON.stringify(line)),
    });
    stops.push(() => gateway.close());
    const { closeDb } = await import('../../functions/adapters/pg');
    stops.push(() => closeDb());
    const { closePasswordWorkers } = await import('../../functions/adapters/password-hasher');
    stops.push(() => closePasswordWorkers());

    // The tick, as EventBridge Scheduler + the tick Lambda run it in the cloud, on a thread of
    // its own (threads.ts). A thread that fails is logged and started again, as the next
    // minute's invocation would be.
    const { log } = await import('../../functions/core/log');
    let tick: { worker: Worker; stopped: Promise<unknown> } | null = null;
    const startTick = (): void => {
      if (c.tickMs === 0 || tick !== null) return;
      const worker = startThread('tick-worker', {});
      const stopped = firstMessage(worker, 'stopped').catch((err: unknown) => {
        log.error('tick thread failed', { route: 'tick', err });
        if (tick?.worker !== worker) return;
        tick = null;
        setTimeout(startTick, 1000).unref();
      });
      tick = { worker, stopped };
    };
    const pauseTick = async (): Promise<void> => {
      const current = tick;
      tick = null;
      if (current === null) return;
      current.worker.postMessage('stop');
      await current.stopped;
      await current.worker.terminate();
    };
    startTick();
    stops.push(pauseTick);

    say(`Minute Credits is running at ${origin}  (API ${origin}/api, WebSocket ${origin.replace(/^http/, 'ws')}/ws)`);
    say(`  credit period ${c.periodMs} ms, tick ${c.tickMs === 0 ? 'off (timers only)' : `every ≤ ${c.tickMs} ms`}; Ctrl-C stops everything.`);
    return {
      url: origin,
      wsUrl: `${origin.replace(/^http/, 'ws')}/ws`,
      port,
      databaseUrl,
      redisUrl,
      upstashUrl,
      upstashToken,
      pauseTick,
      resumeTick: startTick,
      connectionCount: () => gateway.connectionCount(),
      stop: async () => {
        await stopAll();
        started = false;
      },
    };
  } catch (err) {
    await stopAll();
    started = false;
    throw err;
  }
}
