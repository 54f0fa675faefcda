// The only code that talks to EventBridge Scheduler: one one-time `at()` schedule per session,
// the session's durable deadline. Locally SCHEDULER_ENDPOINT points the real SDK client at the
// local gateway's Scheduler emulator (infra/local/scheduler-emulator.ts).
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { config } from '../config';

// Scheduler names: 1 to 64 of [0-9a-zA-Z-_.].
const NAME_PATTERN = /^[0-9A-Za-z_.-]{1,64}$/;
const AT_PATTERN = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
// A failed expire is retried for up to an hour (the settle is idempotent, so a late one charges
// exactly what is due); after that the event goes to the dead-letter queue if one is configured.
const RETRY_POLICY = { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 } as const;

let client: SchedulerClient | undefined;

function schedulerClient(): SchedulerClient {
  if (client !== undefined) return client;
  const c = config();
  client = new SchedulerClient({
    region: c.awsRegion,
    ...(c.schedulerEndpoint !== undefined
      ? { endpoint: c.schedulerEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    requestHandler: {
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    },
  });
  return client;
}

/** The schedule of a session: derived from its id, so creating it twice is harmless. */
export function scheduleName(sessionId: string): string {
  const name = `session-${sessionId}`;
  if (!NAME_PATTERN.test(name)) throw new Error(`scheduleName: session id not usable in a schedule name: ${sessionId}`);
  return name;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, at atMs rounded up to the next whole second. */
export function atExpression(atMs: number): string {
  if (!Number.isSafeInteger(atMs) || atMs < 0) throw new Error(`atExpression: bad time ${atMs}`);
  const seconds = Math.ceil(atMs / 1000);
  return `at(${new Date(seconds * 1000).toISOString().slice(0, 19)})`;
}

function parseAtExpression(expression: string): number | null {
  const m = AT_PATTERN.exec(expression);
  if (m === null) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function definition(sessionId: string, atMs: number): CreateScheduleCommandInput {
  const c = config();
  return {
    Name: scheduleName(sessionId),
    GroupName: c.scheduleGroup,
    ScheduleExpression: atExpression(atMs),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Description: 'Minute Credits session deadline',
    Target: {
      Arn: c.expireFunctionArn,
      RoleArn: c.schedulerRoleArn,
      Input: JSON.stringify({ sessionId }),
      RetryPolicy: { ...RETRY_POLICY },
      ...(c.timerDlqArn !== undefined ? { DeadLetterConfig: { Arn: c.timerDlqArn } } : {}),
    },
  };
}

/**
 * Arms (or moves) the session's deadline timer to fire at atMs (rounded up to the second).
 * Idempotent: an existing schedule of the same session is replaced by the full new definition.
 */
export async function armTimer(sessionId: string, atMs: number): Promise<void> {
  const input = definition(sessionId, atMs);
  const scheduler = schedulerClient();
  try {
    await scheduler.send(new CreateScheduleCommand(input));
    return;
  } catch (err) {
    if (!(err instanceof ConflictException)) throw err;
  }
  try {
    // UpdateSchedule replaces the whole definition, so it gets the same full input.
    await scheduler.send(new UpdateScheduleCommand(input));
  } catch (err) {
    // The old schedule completed (and deleted itself) between our two calls: create it again.
    if (!(err instanceof ResourceNotFoundException)) throw err;
    await scheduler.send(new CreateScheduleCommand(input));
  }
}

/** Removes the session's deadline timer; a timer that is already gone is success. */
export async function disarmTimer(sessionId: string): Promise<void> {
  try {
    await schedulerClient().send(
      new DeleteScheduleCommand({ Name: scheduleName(sessionId), GroupName: config().scheduleGroup }),
    );
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
}

/** The session's armed deadline (whole seconds, UTC), or null when it has none. */
export async function getTimer(sessionId: string): Promise<{ atMs: number } | null> {
  try {
    const out = await schedulerClient().send(
      new GetScheduleCommand({ Name: scheduleName(sessionId), GroupName: config().scheduleGroup }),
    );
    const timezone = out.ScheduleExpressionTimezone ?? 'UTC';
    const atMs = out.ScheduleExpression === undefined ? null : parseAtExpression(out.ScheduleExpression);
    if (atMs === null || (timezone !== 'UTC' && timezone !== 'Etc/UTC')) {
      throw new Error(`getTimer: unexpected schedule ${out.ScheduleExpression ?? '(none)'} in ${timezone}`);
    }
    return { atMs };
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return null;
    throw err;
  }
}
