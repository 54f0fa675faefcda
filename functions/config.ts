// The one place that reads process.env. Read once (on first use), validated, frozen.
// A bad variable fails the cold start with its name in the message.
import { z } from 'zod';

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );

const schema = z.object({
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).default('INFO'),
  // PostgreSQL: a URL locally; in the cloud, the RDS Proxy host plus a Secrets Manager secret.
  DATABASE_URL: optionalString,
  DATABASE_HOST: optionalString,
  DATABASE_NAME: optionalString,
  DATABASE_SECRET_ARN: optionalString,
  DATABASE_POOL_MAX: int(10, 1, 200),
  // Redis over the Upstash REST protocol. In the cloud the URL and token come from a secret.
  UPSTASH_REDIS_REST_URL: optionalString,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  UPSTASH_SECRET_ARN: optionalString,
  JWT_SECRET: optionalString,
  // In the cloud: a Secrets Manager secret {"secret": "…"} read at first use.
  JWT_SECRET_ARN: optionalString,
  CREDIT_PERIOD_MS: int(6000, 1, 3_600_000),
  TICK_MS: int(1000, 0, 60_000),
  TICK_BATCH_SIZE: int(2000, 1, 50_000),
  TICK_MAX_BATCHES: int(100, 1, 10_000),
  // Batches the tick settles at once, each in its own transaction (at most the pool's size).
  TICK_CONCURRENCY: int(2, 1, 16),
  // The least time between the starts of two passes (tick.ts passFloorMs; at most 100).
  TICK_MIN_PASS_MS: int(20, 0, 100),
  SIGNUP_CREDITS: int(100, 0, 1_000_000),
  // WebSocket management endpoint (the stage's callback URL in the cloud, the gateway locally).
  WS_CALLBACK_URL: optionalString,
  // EventBridge Scheduler: endpoint only locally; group, target and role from the stack.
  SCHEDULER_ENDPOINT: optionalString,
  SCHEDULE_GROUP: z.string().default('minute-credits-timers'),
  EXPIRE_FUNCTION_ARN: z.string().default('arn:aws:lambda:us-east-1:000000000000:function:local-expire'),
  SCHEDULER_ROLE_ARN: z.string().default('arn:aws:iam::000000000000:role/local-scheduler'),
  TIMER_DLQ_ARN: optionalString,
  AWS_REGION: z.string().default('us-east-1'),
  // The site's origin(s): CORS and the WebSocket Origin check.
  ALLOWED_ORIGINS: list,
  ADMIN_EMAILS: list,
  LOGIN_MAX_FAILURES_PER_EMAIL: int(5, 1, 10_000),
  LOGIN_MAX_FAILURES_PER_ADDRESS: int(20, 1, 100_000),
  LOGIN_WINDOW_S: int(900, 1, 86_400),
  SIGNUP_MAX_PER_ADDRESS: int(20, 1, 100_000),
  SIGNUP_WINDOW_S: int(3600, 1, 86_400),
  BCRYPT_ROUNDS: int(12, 4, 15),
  // Worker threads for bcrypt: 0 runs it inline (Lambda: one request per container); the local
  // stack sets 1 so logins never stall the other requests of its single process.
  PASSWORD_HASH_WORKERS: int(0, 0, 16),
  // Top-ups: `local` approves every payment, `decline` refuses every one (tests). Unset means
  // `local` outside production and no payments in production (a real provider plugs in there).
  PAYMENT_PROVIDER: z.enum(['local', 'decline']).optional(),
});

export interface Config {
  readonly nodeEnv: string;
  readonly logLevel: string;
  readonly databaseUrl: string | undefined;
  readonly databaseHost: string | undefined;
  readonly databaseName: string | undefined;
  readonly databaseSecretArn: string | undefined;
  readonly databasePoolMax: number;
  readonly upstashUrl: string | undefined;
  readonly upstashToken: string | undefined;
  readonly upstashSecretArn: string | undefined;
  readonly jwtSecret: string | undefined;
  readonly jwtSecretArn: string | undefined;
  readonly periodMs: number;
  readonly tickMs: number;
  readonly tickBatchSize: number;
  readonly tickMaxBatches: number;
  readonly tickConcurrency: number;
  readonly tickMinPassMs: number;
  readonly signupCredits: number;
  readonly wsCallbackUrl: string | undefined;
  readonly schedulerEndpoint: string | undefined;
  readonly scheduleGroup: string;
  readonly expireFunctionArn: string;
  readonly schedulerRoleArn: string;
  readonly timerDlqArn: string | undefined;
  readonly awsRegion: string;
  readonly allowedOrigins: readonly string[];
  readonly adminEmails: readonly string[];
  readonly loginMaxFailuresPerEmail: number;
  readonly loginMaxFailuresPerAddress: number;
  readonly loginWindowS: number;
  readonly signupMaxPerAddress: number;
  readonly signupWindowS: number;
  readonly bcryptRounds: number;
  readonly passwordWorkers: number;
  /** The payment provider for top-ups; null: payments are off (production without a provider). */
  readonly paymentProvider: 'local' | 'decline' | null;
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new Error(`Invalid configuration: ${name}: ${issue?.message ?? 'invalid'}`);
  }
  const e = parsed.data;
  // JWT_SECRET (or JWT_SECRET_ARN) is required in production by the functions that use tokens;
  // core/auth.ts checks it at first use, so the tick and the timer need no access to the key.
  if (e.JWT_SECRET !== undefined && Buffer.byteLength(e.JWT_SECRET) < 32) {
    throw new Error('Invalid configuration: JWT_SECRET must be at least 32 bytes');
  }
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    databaseHost: e.DATABASE_HOST,
    databaseName: e.DATABASE_NAME,
    databaseSecretArn: e.DATABASE_SECRET_ARN,
    databasePoolMax: e.DATABASE_POOL_MAX,
    upstashUrl: e.UPSTASH_REDIS_REST_URL,
    upstashToken: e.UPSTASH_REDIS_REST_TOKEN,
    upstashSecretArn: e.UPSTASH_SECRET_ARN,
    jwtSecret: e.JWT_SECRET,
    jwtSecretArn: e.JWT_SECRET_ARN,
    periodMs: e.CREDIT_PERIOD_MS,
    tickMs: e.TICK_MS,
    tickBatchSize: e.TICK_BATCH_SIZE,
    tickMaxBatches: e.TICK_MAX_BATCHES,
    tickConcurrency: Math.min(e.TICK_CONCURRENCY, e.DATABASE_POOL_MAX),
    tickMinPassMs: e.TICK_MIN_PASS_MS,
    signupCredits: e.SIGNUP_CREDITS,
    wsCallbackUrl: e.WS_CALLBACK_URL,
    schedulerEndpoint: e.SCHEDULER_ENDPOINT,
    scheduleGroup: e.SCHEDULE_GROUP,
    expireFunctionArn: e.EXPIRE_FUNCTION_ARN,
    schedulerRoleArn: e.SCHEDULER_ROLE_ARN,
    timerDlqArn: e.TIMER_DLQ_ARN,
    awsRegion: e.AWS_REGION,
    allowedOrigins: Object.freeze([...e.ALLOWED_ORIGINS]),
    adminEmails: Object.freeze([...e.ADMIN_EMAILS]),
    loginMaxFailuresPerEmail: e.LOGIN_MAX_FAILURES_PER_EMAIL,
    loginMaxFailuresPerAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
    loginWindowS: e.LOGIN_WINDOW_S,
    signupMaxPerAddress: e.SIGNUP_MAX_PER_ADDRESS,
    signupWindowS: e.SIGNUP_WINDOW_S,
    bcryptRounds: e.BCRYPT_ROUNDS,
    passwordWorkers: e.PASSWORD_HASH_WORKERS,
    paymentProvider: e.PAYMENT_PROVIDER ?? (e.NODE_ENV === 'production' ? null : 'local'),
  });
}

let cached: Config | undefined;

/** The configuration of this process, read from the environment on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
