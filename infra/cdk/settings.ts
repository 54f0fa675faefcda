// Deploy-time choices, read from CDK context (`cdk.json` or `-c key=value`), validated once.
// Everything has a default, so `cdk synth` needs no flags.
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

export type DatabaseEngine = 'postgres' | 'aurora';
export type NatKind = 'gateway' | 'instance';

export interface Settings {
  /** `postgres` (default): one RDS db.t4g.micro; `aurora`: Aurora Serverless v2. */
  readonly database: DatabaseEngine;
  /** `gateway` (default): one managed NAT gateway; `instance`: one t4g.nano NAT instance. */
  readonly nat: NatKind;
  readonly logRetention: RetentionDays;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly creditPeriodMs: number;
  readonly tickMs: number;
  /** Comma-separated; passed to the functions as ADMIN_EMAILS. */
  readonly adminEmails: string;
  /** If set, the alarm topic e-mails this address (the subscription must be confirmed). */
  readonly alarmEmail: string | undefined;
  /** The tick lateness alarm fires when the worst lateness in a minute exceeds this. */
  readonly tickLatenessAlarmMs: number;
  /** Memory of the tick function: it runs the whole minute, every minute, so it is most of the Lambda bill. */
  readonly tickMemoryMb: number;
}

const retentionValues = new Set<number>(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);

export function readSettings(node: Node): Settings {
  const text = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new Error(`Context ${key} must be a string or a number`);
    }
    const trimmed = String(value).trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const value = text(key) ?? fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new Error(`Context ${key} must be one of ${allowed.join(', ')} (got ${value})`);
    }
    return value as T;
  };
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const raw = text(key);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new Error(`Context ${key} must be an integer from ${min} to ${max} (got ${raw})`);
    }
    return value;
  };

  const logRetentionDays = integer('logRetentionDays', 30, 1, 3653);
  if (!retentionValues.has(logRetentionDays)) {
    throw new Error(`Context logRetentionDays must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, …)`);
  }
  return Object.freeze({
    database: oneOf<DatabaseEngine>('database', ['postgres', 'aurora'], 'postgres'),
    nat: oneOf<NatKind>('nat', ['gateway', 'instance'], 'gateway'),
    logRetention: logRetentionDays as RetentionDays,
    logLevel: oneOf('logLevel', ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const, 'INFO'),
    creditPeriodMs: integer('creditPeriodMs', 6000, 1, 3_600_000),
    tickMs: integer('tickMs', 1000, 0, 60_000),
    adminEmails: text('adminEmails') ?? '',
    alarmEmail: text('alarmEmail'),
    tickLatenessAlarmMs: integer('tickLatenessAlarmMs', 5000, 1, 600_000),
    tickMemoryMb: integer('tickMemoryMb', 512, 128, 10_240),
  });
}
