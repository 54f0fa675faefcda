// A local EventBridge Scheduler for one machine: the REST-JSON API the real SchedulerClient
// sends (CreateSchedule, UpdateSchedule, DeleteSchedule, GetSchedule, ListSchedules), with the
// service's typed errors, for one-time `at()` schedules, which it fires at their time.
//
// Mounted by the local gateway under a prefix; `handle` receives the rest of the path
// (`/schedules/{name}`); query parameters are read from `req.url`. Schedules live in memory.
//
// Differences from the service, on purpose: only `at()` expressions (rate/cron are a
// ValidationException); schedule groups need not be created first; a FLEXIBLE window fires at
// its start; a past `at()` fires at once; firing is to the millisecond, not within the minute;
// completed schedules are deleted only if nobody changed them while they were firing.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FiredSchedule {
  name: string;
  group: string;
  targetArn: string;
  input: string;
}

export interface SchedulerEmulatorOptions {
  /** Invokes the schedule's target; a rejection is retried per the schedule's RetryPolicy. */
  fire: (schedule: FiredSchedule) => Promise<void>;
  /** A schedule whose retries ran out, or an internal failure. Defaults to a JSON log line. */
  onError?: (err: unknown) => void;
  now?: () => number;
  /** First retry delay; it doubles per attempt up to 10 s. Default 100 ms. */
  retryBaseMs?: number;
}

export interface SchedulerEmulator {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  close(): void;
  size(): number;
}

const ACCOUNT = '000000000000';
const DEFAULT_GROUP = 'default';
const NAME_PATTERN = /^[0-9A-Za-z_.-]{1,64}$/;
const AT_PATTERN = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_INPUT_CHARS = 8192;
const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout fires at once beyond this
const MAX_RETRY_DELAY_MS = 10_000;
const DEFAULT_RETRY = { attempts: 185, ageS: 86_400 };

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const validation = (message: string) => new ApiError(400, 'ValidationException', message);

interface Target {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  DeadLetterConfig?: { Arn?: string };
  [other: string]: unknown;
}

interface Definition {
  expression: string;
  timezone: string | undefined;
  atMs: number;
  target: Target;
  flexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  actionAfterCompletion: 'NONE' | 'DELETE';
  state: 'ENABLED' | 'DISABLED';
  description: string | undefined;
  startDate: number | undefined;
  endDate: number | undefined;
  kmsKeyArn: string | undefined;
}

interface Schedule extends Definition {
  name: string;
  group: string;
  arn: string;
  createdMs: number;
  modifiedMs: number;
  clientToken: string | undefined;
  /** Bumped by every update and by delete: a timer or retry of an older version stands down. */
  version: number;
  timer: NodeJS.Timeout | undefined;
  /** Fired and done (ActionAfterCompletion NONE, or changed while firing): never fires again. */
  completed: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(body: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw validation(`${key} must be a string of at most ${max} characters`);
  return v;
}

function optionalTimestamp(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw validation(`${key} must be a timestamp`);
  return v;
}

function optionalInt(obj: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw validation(`${key} must be an integer from ${min} to ${max}`);
  }
  return v;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw validation(`Invalid ScheduleExpressionTimezone: ${timezone}`);
    }
    formatters.set(timezone, f);
  }
  return f;
}

/** How far the zone's wall clock is ahead of UTC at the instant utcMs. */
function zoneOffsetMs(utcMs: number, timezone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timezone).formatToParts(new Date(utcMs))) parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/** The instant of `at(yyyy-mm-ddThh:mm:ss)` read in the timezone (UTC when absent). */
export function parseAtExpression(expression: string, timezone: string | undefined): number {
  const m = AT_PATTERN.exec(expression);
  if (m === null) {
    throw validation(`Invalid Schedule Expression ${expression}: only at(yyyy-mm-ddThh:mm:ss) is supported locally`);
  }
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const wallMs = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(wallMs);
  if (
    mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59 ||
    back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d
  ) {
    throw validation(`Invalid Schedule Expression ${expression}: not a date and time`);
  }
  if (timezone === undefined || timezone === 'UTC' || timezone === 'Etc/UTC') return wallMs;
  const guess = wallMs - zoneOffsetMs(wallMs, timezone);
  return wallMs - zoneOffsetMs(guess, timezone);
}

function parseTarget(v: unknown): Target {
  if (!isObject(v)) throw validation('Target is required');
  const arn = v.Arn;
  const roleArn = v.RoleArn;
  if (typeof arn !== 'string' || arn.length < 1 || arn.length > 1600) throw validation('Target.Arn is required');
  if (typeof roleArn !== 'string' || roleArn.length < 1 || roleArn.length > 1600) throw validation('Target.RoleArn is required');
  const input = optionalString(v, 'Input', MAX_INPUT_CHARS);
  if (input !== undefined && input.length < 1) throw validation('Target.Input must not be empty');
  if (v.RetryPolicy !== undefined && v.RetryPolicy !== null) {
    if (!isObject(v.RetryPolicy)) throw validation('Target.RetryPolicy must be an object');
    optionalInt(v.RetryPolicy, 'MaximumEventAgeInSeconds', 60, 86_400);
    optionalInt(v.RetryPolicy, 'MaximumRetryAttempts', 0, 185);
  }
  if (v.DeadLetterConfig !== undefined && v.DeadLetterConfig !== null) {
    if (!isObject(v.DeadLetterConfig)) throw validation('Target.DeadLetterConfig must be an object');
    optionalString(v.DeadLetterConfig, 'Arn', 1600);
  }
  return v as Target;
}

function parseDefinition(body: Record<string, unknown>): Definition {
  const expression = body.ScheduleExpression;
  if (typeof expression !== 'string' || expression.length < 1 || expression.length > 256) {
    throw validation('ScheduleExpression is required');
  }
  const timezone = optionalString(body, 'ScheduleExpressionTimezone', 50);
  const atMs = parseAtExpression(expression, timezone);
  const target = parseTarget(body.Target);
  const ftw = body.FlexibleTimeWindow;
  if (!isObject(ftw) || (ftw.Mode !== 'OFF' && ftw.Mode !== 'FLEXIBLE')) {
    throw validation('FlexibleTimeWindow.Mode must be OFF or FLEXIBLE');
  }
  const windowMinutes = optionalInt(ftw, 'MaximumWindowInMinutes', 1, 1440);
  if (ftw.Mode === 'FLEXIBLE' && windowMinutes === undefined) {
    throw validation('FlexibleTimeWindow.MaximumWindowInMinutes is required when Mode is FLEXIBLE');
  }
  if (ftw.Mode === 'OFF' && windowMinutes !== undefined) {
    throw validation('FlexibleTimeWindow.MaximumWindowInMinutes must be absent when Mode is OFF');
  }
  const action = body.ActionAfterCompletion ?? 'NONE';
  if (action !== 'NONE' && action !== 'DELETE') throw validation('ActionAfterCompletion must be NONE or DELETE');
  const state = body.State ?? 'ENABLED';
  if (state !== 'ENABLED' && state !== 'DISABLED') throw validation('State must be ENABLED or DISABLED');
  return {
    expression,
    timezone,
    atMs,
    target,
    flexibleTimeWindow:
      windowMinutes === undefined ? { Mode: ftw.Mode } : { Mode: ftw.Mode, MaximumWindowInMinutes: windowMinutes },
    actionAfterCompletion: action,
    state,
    description: optionalString(body, 'Description', 512),
    startDate: optionalTimestamp(body, 'StartDate'),
    endDate: optionalTimestamp(body, 'EndDate'),
    kmsKeyArn: optionalString(body, 'KmsKeyArn', 2048),
  };
}

function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw validation(`${what} must be 1 to 64 characters of [0-9a-zA-Z-_.]`);
  }
  return value;
}

/** The region the client signed for (SigV4 credential scope), for the ARNs it gets back. */
function regionOf(req: IncomingMessage): string {
  const m = /Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\//.exec(req.headers.authorization ?? '');
  return m?.[1] ?? 'us-east-1';
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw validation('Request body too large');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw validation('Request body is not valid JSON');
  }
  if (!isObject(parsed)) throw validation('Request body must be a JSON object');
  return parsed;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType !== undefined ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
}

function defaultOnError(err: unknown): void {
  const error = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
  console.error(JSON.stringify({ level: 'ERROR', msg: 'scheduler emulator', error }));
}

export function createSchedulerEmulator(opts: SchedulerEmulatorOptions): SchedulerEmulator {
  const now = opts.now ?? Date.now;
  const onError = opts.onError ?? defaultOnError;
  const retryBaseMs = opts.retryBaseMs ?? 100;
  const groups = new Map<string, Map<string, Schedule>>();
  let closed = false;

  const report = (err: unknown): void => {
    try {
      onError(err);
    } catch {
      // the error reporter failed: nothing else to tell
    }
  };

  const lookup = (group: string, name: string): Schedule | undefined => groups.get(group)?.get(name);
  const isCurrent = (s: Schedule, version: number): boolean =>
    !closed && lookup(s.group, s.name) === s && s.version === version;

  function remove(s: Schedule): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    s.version += 1;
    const g = groups.get(s.group);
    if (g?.get(s.name) === s) {
      g.delete(s.name);
      if (g.size === 0) groups.delete(s.group);
    }
  }

  function arm(s: Schedule): void {
    clearTimeout(s.timer);
    s.timer = undefined;
    if (closed || s.completed || s.state !== 'ENABLED') return;
    const version = s.version;
    const delayMs = Math.min(Math.max(0, s.atMs - now()), MAX_TIMER_MS);
    s.timer = setTimeout(() => onTimer(s, version), delayMs);
    s.timer.unref();
  }

  function onTimer(s: Schedule, version: number): void {
    s.timer = undefined;
    if (!isCurrent(s, version)) return;
    if (s.atMs > now()) {
      arm(s); // woke early, or a long wait in steps
      return;
    }
    runFiring(s, version).catch(report);
  }

  async function runFiring(s: Schedule, version: number): Promise<void> {
    const fired: FiredSchedule = { name: s.name, group: s.group, targetArn: s.target.Arn, input: s.target.Input ?? '' };
    const maxRetries = s.target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_RETRY.attempts;
    const maxAgeMs = (s.target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_RETRY.ageS) * 1000;
    const dueMs = s.atMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await Promise.resolve().then(() => opts.fire(fired));
        break;
      } catch (err) {
        if (!isCurrent(s, version)) return; // changed or deleted meanwhile: the new version has its own timer
        const delayMs = Math.min(retryBaseMs * 2 ** attempt, MAX_RETRY_DELAY_MS);
        if (attempt >= maxRetries || now() + delayMs - dueMs > maxAgeMs) {
          report(
            new Error(
              `schedule ${s.group}/${s.name}: target failed ${attempt + 1} time(s), giving up` +
                (s.target.DeadLetterConfig?.Arn !== undefined ? ` (would go to ${s.target.DeadLetterConfig.Arn})` : ''),
              { cause: err },
            ),
          );
          break;
        }
        await new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref());
        if (!isCurrent(s, version)) return;
      }
    }
    if (!isCurrent(s, version)) return; // updated while firing: keep the new definition armed
    if (s.actionAfterCompletion === 'DELETE') remove(s);
    else s.completed = true;
  }

  function describe(s: Schedule): Record<string, unknown> {
    return {
      Arn: s.arn,
      GroupName: s.group,
      Name: s.name,
      ScheduleExpression: s.expression,
      ScheduleExpressionTimezone: s.timezone,
      State: s.state,
      Description: s.description,
      StartDate: s.startDate,
      EndDate: s.endDate,
      KmsKeyArn: s.kmsKeyArn,
      CreationDate: s.createdMs / 1000,
      LastModificationDate: s.modifiedMs / 1000,
      Target: s.target,
      FlexibleTimeWindow: s.flexibleTimeWindow,
      ActionAfterCompletion: s.actionAfterCompletion,
    };
  }

  async function createSchedule(req: IncomingMessage, name: string): Promise<unknown> {
    const body = await readJson(req);
    const group = body.GroupName === undefined ? DEFAULT_GROUP : checkName(body.GroupName, 'GroupName');
    const clientToken = optionalString(body, 'ClientToken', 64);
    const existing = lookup(group, name);
    if (existing !== undefined) {
      // The SDK retries a call with the same idempotency token: that is the same create.
      if (clientToken !== undefined && existing.clientToken === clientToken) return { ScheduleArn: existing.arn };
      throw new ApiError(409, 'ConflictException', `Schedule ${name} already exists.`);
    }
    const def = parseDefinition(body);
    const t = now();
    const s: Schedule = {
      ...def,
      name,
      group,
      arn: `arn:aws:scheduler:${regionOf(req)}:${ACCOUNT}:schedule/${group}/${name}`,
      createdMs: t,
      modifiedMs: t,
      clientToken,
      version: 0,
      timer: undefined,
      completed: false,
    };
    let g = groups.get(group);
    if (g === undefined) {
      g = new Map();
      groups.set(group, g);
    }
    g.set(name, s);
    arm(s);
    return { ScheduleArn: s.arn };
  }

  async function updateSchedule(req: IncomingMessage, name: string): Promise<unknown> {
    const body = await readJson(req);
    const group = body.GroupName === undefined ? DEFAULT_GROUP : checkName(body.GroupName, 'GroupName');
    const s = lookup(group, name);
    if (s === undefined) throw new ApiError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    const def = parseDefinition(body);
    Object.assign(s, def, { modifiedMs: now(), version: s.version + 1, completed: false });
    arm(s);
    return { ScheduleArn: s.arn };
  }

  function scheduleInGroup(query: URLSearchParams, name: string): Schedule {
    const groupParam = query.get('groupName');
    const group = groupParam === null ? DEFAULT_GROUP : checkName(groupParam, 'groupName');
    const s = lookup(group, name);
    if (s === undefined) throw new ApiError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return s;
  }

  function listSchedules(query: URLSearchParams): unknown {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const state = query.get('State');
    const max = Math.min(Math.max(Number(query.get('MaxResults') ?? 100) || 100, 1), 100);
    const offset = Math.max(Number(query.get('NextToken') ?? 0) || 0, 0);
    const all: Schedule[] = [];
    for (const [g, schedules] of groups) {
      if (group !== null && g !== group) continue;
      for (const s of schedules.values()) {
        if (s.name.startsWith(prefix) && (state === null || s.state === state)) all.push(s);
      }
    }
    const page = all.slice(offset, offset + max);
    return {
      Schedules: page.map((s) => ({
        Arn: s.arn,
        Name: s.name,
        GroupName: s.group,
        State: s.state,
        CreationDate: s.createdMs / 1000,
        LastModificationDate: s.modifiedMs / 1000,
        Target: { Arn: s.target.Arn },
      })),
      ...(offset + max < all.length ? { NextToken: String(offset + max) } : {}),
    };
  }

  async function route(req: IncomingMessage, rawPath: string): Promise<unknown> {
    if (closed) throw new ApiError(500, 'InternalServerException', 'The scheduler emulator is closed.');
    const url = new URL(req.url ?? '/', 'http://local');
    const path = (rawPath.split('?')[0] ?? '').replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    if (path === '/schedules' && method === 'GET') return listSchedules(url.searchParams);
    const m = /^\/schedules\/([^/]+)$/.exec(path);
    if (m === null) throw new ApiError(404, 'UnknownOperationException', `No operation at ${method} ${path}`);
    let name: string;
    try {
      name = checkName(decodeURIComponent(m[1] ?? ''), 'Name');
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw validation('Name is not valid');
    }
    switch (method) {
      case 'POST':
        return createSchedule(req, name);
      case 'PUT':
        return updateSchedule(req, name);
      case 'GET':
        return describe(scheduleInGroup(url.searchParams, name));
      case 'DELETE':
        remove(scheduleInGroup(url.searchParams, name));
        return {};
      default:
        throw new ApiError(404, 'UnknownOperationException', `No operation at ${method} ${path}`);
    }
  }

  return {
    async handle(req, res, path) {
      try {
        const body = await route(req, path);
        send(res, 200, body);
      } catch (err) {
        try {
          if (!(err instanceof ApiError)) report(err);
          const apiError = err instanceof ApiError ? err : new ApiError(500, 'InternalServerException', 'Internal error');
          if (!res.headersSent) send(res, apiError.status, { Message: apiError.message }, apiError.type);
          else res.destroy();
          // Leave any unread body behind without keeping the socket for it.
          if (!req.readableEnded) req.resume();
        } catch (inner) {
          report(inner);
        }
      }
    },
    close() {
      closed = true;
      for (const g of groups.values()) {
        for (const s of g.values()) {
          clearTimeout(s.timer);
          s.timer = undefined;
        }
      }
      groups.clear();
    },
    size() {
      let n = 0;
      for (const g of groups.values()) n += g.size;
      return n;
    },
  };
}
