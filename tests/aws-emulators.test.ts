// The local Scheduler and @connections endpoints, driven by the real AWS SDK clients and by
// the adapters that production code uses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiGatewayManagementApiClient,
  GetConnectionCommand,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectionsEndpoint, type ConnectionInfo } from '../infra/local/connections-endpoint';
import { createSchedulerEmulator, type FiredSchedule } from '../infra/local/scheduler-emulator';

const PREFIX = '/_local/scheduler';
const GROUP = 'test-timers';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

interface Firing extends FiredSchedule {
  atMs: number;
}

const firings: Firing[] = [];
const waiters: Array<{ name: string; resolve: (f: Firing) => void }> = [];
const failuresLeft = new Map<string, number>();
/** Runs inside the target, as the expire handler would (e.g. re-arming its own schedule). */
const onFire = new Map<string, () => Promise<void>>();
const errors: unknown[] = [];
const schedulerPaths: string[] = [];

const scheduler = createSchedulerEmulator({
  retryBaseMs: 20,
  onError: (err) => errors.push(err),
  fire: async (schedule) => {
    const firing = { ...schedule, atMs: Date.now() };
    const left = failuresLeft.get(schedule.name) ?? 0;
    if (left > 0) {
      failuresLeft.set(schedule.name, left - 1);
      throw new Error('target failed');
    }
    const hook = onFire.get(schedule.name);
    onFire.delete(schedule.name);
    await hook?.();
    firings.push(firing);
    for (const w of waiters.filter((w) => w.name === schedule.name)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(firing);
    }
  },
});

const connections = new Map<string, { info: ConnectionInfo; received: Buffer[] }>();
const connectionsEndpoint = createConnectionsEndpoint({
  send: (id, data) => {
    const c = connections.get(id);
    if (c === undefined) return false;
    c.received.push(data);
    return true;
  },
  close: (id) => connections.delete(id),
  info: (id) => connections.get(id)?.info ?? null,
});

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (url.startsWith(`${PREFIX}/`)) {
    schedulerPaths.push(`${req.method} ${url}`);
    void scheduler.handle(req, res, url.slice(PREFIX.length).split('?')[0] ?? '/');
  } else if (url.startsWith('/@connections/')) {
    void connectionsEndpoint.handle(req, res, url.slice('/@connections/'.length));
  } else {
    res.writeHead(404).end();
  }
});

let schedulerClient: SchedulerClient;
let managementClient: ApiGatewayManagementApiClient;
let adapters: {
  scheduler: typeof import('../functions/adapters/scheduler');
  apigw: typeof import('../functions/adapters/apigw');
};

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // config() reads the environment once, on first use: set it before the adapters run.
  process.env.SCHEDULER_ENDPOINT = `http://127.0.0.1:${port}${PREFIX}`;
  process.env.WS_CALLBACK_URL = `http://127.0.0.1:${port}`;
  process.env.SCHEDULE_GROUP = GROUP;
  process.env.AWS_REGION = 'eu-west-1';
  schedulerClient = new SchedulerClient({ region: 'eu-west-1', endpoint: process.env.SCHEDULER_ENDPOINT, credentials });
  managementClient = new ApiGatewayManagementApiClient({
    region: 'eu-west-1',
    endpoint: process.env.WS_CALLBACK_URL,
    credentials,
  });
  adapters = {
    scheduler: await import('../functions/adapters/scheduler'),
    apigw: await import('../functions/adapters/apigw'),
  };
});

afterAll(async () => {
  scheduler.close();
  schedulerClient?.destroy();
  managementClient?.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A whole second at least `leadMs` from now (at() has one-second resolution). */
function wholeSecondAfter(leadMs: number): number {
  return Math.ceil((Date.now() + leadMs) / 1000) * 1000;
}

function at(ms: number): string {
  return `at(${new Date(ms).toISOString().slice(0, 19)})`;
}

function nextFiring(name: string, timeoutMs: number): Promise<Firing> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not fire within ${timeoutMs} ms`)), timeoutMs);
    waiters.push({
      name,
      resolve: (f) => {
        clearTimeout(timer);
        resolve(f);
      },
    });
  });
}

function scheduleInput(name: string, atMs: number, extra: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: name,
    GroupName: GROUP,
    ScheduleExpression: at(atMs),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: {
      Arn: 'arn:aws:lambda:eu-west-1:000000000000:function:expire',
      RoleArn: 'arn:aws:iam::000000000000:role/scheduler',
      Input: JSON.stringify({ sessionId: name }),
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 60 },
    },
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lateness: number[] = [];

describe('local EventBridge Scheduler', () => {
  it('keeps the endpoint path prefix on every call of the real SchedulerClient', async () => {
    const name = 'prefix-check';
    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, wholeSecondAfter(60_000))));
    await schedulerClient.send(new DeleteScheduleCommand({ Name: name, GroupName: GROUP }));
    expect(schedulerPaths).toContainEqual(`POST ${PREFIX}/schedules/${name}`);
    expect(schedulerPaths.some((p) => p.startsWith(`DELETE ${PREFIX}/schedules/${name}?`) && p.includes('clientToken='))).toBe(true);
  });

  it('fires a created schedule at its time with its input, then deletes it', async () => {
    const name = 'fires-on-time';
    const atMs = wholeSecondAfter(800);
    const fired = nextFiring(name, 5_000);

    const out = await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, atMs)));
    const firing = await fired;

    expect(out.ScheduleArn).toBe(`arn:aws:scheduler:eu-west-1:000000000000:schedule/${GROUP}/${name}`);
    expect(firing.input).toBe(JSON.stringify({ sessionId: name }));
    expect(firing.group).toBe(GROUP);
    expect(firing.targetArn).toBe('arn:aws:lambda:eu-west-1:000000000000:function:expire');
    lateness.push(firing.atMs - atMs);
    expect(firing.atMs).toBeGreaterThanOrEqual(atMs);
    expect(firing.atMs - atMs).toBeLessThan(1000);
    await sleep(20);
    await expect(schedulerClient.send(new GetScheduleCommand({ Name: name, GroupName: GROUP }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('fires many schedules due in the same second, each within a second', async () => {
    const atMs = wholeSecondAfter(800);
    const names = Array.from({ length: 50 }, (_, i) => `burst-${i}`);
    const fired = Promise.all(names.map((n) => nextFiring(n, 5_000)));

    await Promise.all(names.map((n) => schedulerClient.send(new CreateScheduleCommand(scheduleInput(n, atMs)))));
    const all = await fired;

    for (const f of all) lateness.push(f.atMs - atMs);
    expect(Math.min(...all.map((f) => f.atMs - atMs))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...all.map((f) => f.atMs - atMs))).toBeLessThan(1000);
  });

  it('moves the firing time on update and fires only at the new time', async () => {
    const name = 'moved';
    const first = wholeSecondAfter(2_500);
    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, first)));
    const moved = wholeSecondAfter(800);
    expect(moved).toBeLessThan(first);
    const fired = nextFiring(name, 5_000);

    await schedulerClient.send(new UpdateScheduleCommand(scheduleInput(name, moved)));
    const firing = await fired;

    lateness.push(firing.atMs - moved);
    expect(firing.atMs - moved).toBeGreaterThanOrEqual(0);
    expect(firing.atMs - moved).toBeLessThan(1000);
    await sleep(first - Date.now() + 200);
    expect(firings.filter((f) => f.name === name)).toHaveLength(1);
  });

  it('never fires a deleted schedule', async () => {
    const name = 'cancelled';
    const atMs = wholeSecondAfter(800);
    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, atMs)));
    const before = scheduler.size();

    await schedulerClient.send(new DeleteScheduleCommand({ Name: name, GroupName: GROUP }));

    expect(scheduler.size()).toBe(before - 1);
    await sleep(atMs - Date.now() + 200);
    expect(firings.some((f) => f.name === name)).toBe(false);
  });

  it('returns the schedule from GetSchedule', async () => {
    const name = 'described';
    const atMs = wholeSecondAfter(3_600_000);
    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, atMs)));

    const out = await schedulerClient.send(new GetScheduleCommand({ Name: name, GroupName: GROUP }));

    expect(out.Name).toBe(name);
    expect(out.GroupName).toBe(GROUP);
    expect(out.ScheduleExpression).toBe(at(atMs));
    expect(out.ScheduleExpressionTimezone).toBe('UTC');
    expect(out.State).toBe('ENABLED');
    expect(out.ActionAfterCompletion).toBe('DELETE');
    expect(out.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(out.Target?.Input).toBe(JSON.stringify({ sessionId: name }));
    expect(out.Target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 60 });
    expect(out.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs((out.CreationDate?.getTime() ?? 0) - Date.now())).toBeLessThan(5_000);
    await schedulerClient.send(new DeleteScheduleCommand({ Name: name, GroupName: GROUP }));
  });

  it('answers with typed errors the SDK turns into its exception classes', async () => {
    const name = 'typed-errors';
    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, wholeSecondAfter(3_600_000))));

    const conflict = await schedulerClient
      .send(new CreateScheduleCommand(scheduleInput(name, wholeSecondAfter(3_600_000))))
      .catch((e: unknown) => e);
    const updateMissing = await schedulerClient
      .send(new UpdateScheduleCommand(scheduleInput('missing', wholeSecondAfter(60_000))))
      .catch((e: unknown) => e);
    const deleteMissing = await schedulerClient
      .send(new DeleteScheduleCommand({ Name: 'missing', GroupName: GROUP }))
      .catch((e: unknown) => e);
    const otherGroup = await schedulerClient
      .send(new GetScheduleCommand({ Name: name, GroupName: 'other-group' }))
      .catch((e: unknown) => e);
    const rate = await schedulerClient
      .send(new CreateScheduleCommand(scheduleInput('rate', 0, { ScheduleExpression: 'rate(1 minute)' })))
      .catch((e: unknown) => e);
    const badDate = await schedulerClient
      .send(new CreateScheduleCommand(scheduleInput('bad-date', 0, { ScheduleExpression: 'at(2030-02-30T00:00:00)' })))
      .catch((e: unknown) => e);

    expect(conflict).toBeInstanceOf(ConflictException);
    expect((conflict as ConflictException).$metadata.httpStatusCode).toBe(409);
    expect((conflict as ConflictException).message).toMatch(/already exists/);
    expect(updateMissing).toBeInstanceOf(ResourceNotFoundException);
    expect(deleteMissing).toBeInstanceOf(ResourceNotFoundException);
    expect(otherGroup).toBeInstanceOf(ResourceNotFoundException);
    expect(rate).toBeInstanceOf(ValidationException);
    expect(badDate).toBeInstanceOf(ValidationException);
    await schedulerClient.send(new DeleteScheduleCommand({ Name: name, GroupName: GROUP }));
  });

  it('fires a schedule whose time has passed at once', async () => {
    const name = 'past';
    const atMs = wholeSecondAfter(0) - 5_000;
    const fired = nextFiring(name, 2_000);
    const createdMs = Date.now();

    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, atMs)));
    const firing = await fired;

    expect(firing.atMs - createdMs).toBeLessThan(1000);
  });

  it('does not fire a schedule beyond setTimeout range early', async () => {
    const name = 'far-future';
    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, wholeSecondAfter(30 * 86_400_000))));

    await sleep(100);

    expect(firings.some((f) => f.name === name)).toBe(false);
    await schedulerClient.send(new DeleteScheduleCommand({ Name: name, GroupName: GROUP }));
  });

  it('keeps a schedule its target re-armed while firing, and fires it again at the new time', async () => {
    const name = 're-armed';
    const first = wholeSecondAfter(800);
    const second = first + 1_000;
    onFire.set(name, async () => {
      await schedulerClient.send(new UpdateScheduleCommand(scheduleInput(name, second)));
    });
    const firedFirst = nextFiring(name, 5_000);

    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, first)));
    await firedFirst;
    const firedSecond = await nextFiring(name, 5_000);

    lateness.push(firedSecond.atMs - second);
    expect(firedSecond.atMs - second).toBeGreaterThanOrEqual(0);
    expect(firedSecond.atMs - second).toBeLessThan(1000);
    await sleep(20);
    await expect(schedulerClient.send(new GetScheduleCommand({ Name: name, GroupName: GROUP }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('keeps a completed schedule with ActionAfterCompletion NONE without firing it again', async () => {
    const name = 'kept';
    const atMs = wholeSecondAfter(800);
    const fired = nextFiring(name, 5_000);

    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, atMs, { ActionAfterCompletion: 'NONE' })));
    await fired;
    await sleep(200);

    const out = await schedulerClient.send(new GetScheduleCommand({ Name: name, GroupName: GROUP }));
    expect(out.Name).toBe(name);
    expect(firings.filter((f) => f.name === name)).toHaveLength(1);
    await schedulerClient.send(new DeleteScheduleCommand({ Name: name, GroupName: GROUP }));
  });

  it('retries a failing target with backoff until it succeeds', async () => {
    const name = 'retried';
    failuresLeft.set(name, 2);
    const atMs = wholeSecondAfter(800);
    const fired = nextFiring(name, 5_000);

    await schedulerClient.send(new CreateScheduleCommand(scheduleInput(name, atMs)));
    const firing = await fired;

    expect(failuresLeft.get(name)).toBe(0);
    expect(firing.atMs - atMs).toBeGreaterThanOrEqual(20 + 40);
    expect(errors).toHaveLength(0);
  });

  it('gives up after RetryPolicy.MaximumRetryAttempts and reports it', async () => {
    const name = 'gives-up';
    failuresLeft.set(name, 100);
    const atMs = wholeSecondAfter(800);

    await schedulerClient.send(
      new CreateScheduleCommand(
        scheduleInput(name, atMs, {
          Target: { ...scheduleInput(name, atMs).Target!, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 } },
        }),
      ),
    );
    await sleep(atMs - Date.now() + 500);

    expect(failuresLeft.get(name)).toBe(97);
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as Error).message)).toMatch(/gives-up.*3 time/);
    expect(scheduler.size()).toBe(0);
    errors.length = 0;
  });
});

describe('scheduler adapter', () => {
  it('arms a timer at the deadline rounded up to the second, and arming twice is harmless', async () => {
    const { armTimer, getTimer, scheduleName } = adapters.scheduler;
    const deadlineMs = Date.now() + 3_600_000 + 123;

    await armTimer('s-1', deadlineMs);
    await armTimer('s-1', deadlineMs);

    expect(scheduleName('s-1')).toBe('session-s-1');
    expect(await getTimer('s-1')).toEqual({ atMs: Math.ceil(deadlineMs / 1000) * 1000 });
    const out = await schedulerClient.send(new GetScheduleCommand({ Name: 'session-s-1', GroupName: GROUP }));
    expect(out.Target?.Input).toBe('{"sessionId":"s-1"}');
    expect(out.ActionAfterCompletion).toBe('DELETE');
    expect(out.FlexibleTimeWindow?.Mode).toBe('OFF');
  });

  it('re-arming moves the deadline', async () => {
    const { armTimer, getTimer } = adapters.scheduler;
    const later = Date.now() + 7_200_000;

    await armTimer('s-1', later);

    expect(await getTimer('s-1')).toEqual({ atMs: Math.ceil(later / 1000) * 1000 });
  });

  it('disarms, and disarming a missing timer is success', async () => {
    const { disarmTimer, getTimer } = adapters.scheduler;

    await disarmTimer('s-1');
    await disarmTimer('s-1');

    expect(await getTimer('s-1')).toBeNull();
  });

  it('fires the expire target with the session id at the deadline', async () => {
    const { armTimer } = adapters.scheduler;
    const deadlineMs = wholeSecondAfter(800) - 300; // rounds up to the whole second
    const fired = nextFiring('session-s-2', 5_000);

    await armTimer('s-2', deadlineMs);
    const firing = await fired;

    expect(JSON.parse(firing.input)).toEqual({ sessionId: 's-2' });
    expect(firing.targetArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:local-expire');
    lateness.push(firing.atMs - (deadlineMs + 300));
    expect(firing.atMs - (deadlineMs + 300)).toBeLessThan(1000);
  });

  it('rejects session ids that cannot name a schedule', () => {
    expect(() => adapters.scheduler.scheduleName('a/b')).toThrow();
  });
});

describe('local @connections endpoint', () => {
  const open = (id: string) =>
    connections.set(id, { info: { connectedAt: Date.parse('2030-01-01T00:00:00Z'), sourceIp: '127.0.0.1' }, received: [] });

  it('delivers a message to an open connection', async () => {
    open('conn-A=');

    const result = await adapters.apigw.postToConnection('conn-A=', '{"type":"session.update"}');

    expect(result).toBe('sent');
    expect(connections.get('conn-A=')?.received.map((b) => b.toString('utf8'))).toEqual(['{"type":"session.update"}']);
  });

  it("answers 'gone' for a connection that no longer exists", async () => {
    expect(await adapters.apigw.postToConnection('conn-missing', 'x')).toBe('gone');
  });

  it('closes a connection, and closing a gone one is fine', async () => {
    open('conn-B');

    await adapters.apigw.deleteConnection('conn-B');
    await adapters.apigw.deleteConnection('conn-B');

    expect(connections.has('conn-B')).toBe(false);
  });

  it('describes a connection through GetConnection', async () => {
    open('conn-C');

    const out = await managementClient.send(new GetConnectionCommand({ ConnectionId: 'conn-C' }));

    expect(out.ConnectedAt?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(out.Identity?.SourceIp).toBe('127.0.0.1');
    expect(out.LastActiveAt).toBeInstanceOf(Date);
  });

  it('refuses a message over 128 KB with PayloadTooLargeException', async () => {
    open('conn-D');

    const err = await managementClient
      .send(new PostToConnectionCommand({ ConnectionId: 'conn-D', Data: 'x'.repeat(128 * 1024 + 1) }))
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(PayloadTooLargeException);
    expect(connections.get('conn-D')?.received).toHaveLength(0);
    expect(await adapters.apigw.postToConnection('conn-D', 'x'.repeat(128 * 1024))).toBe('sent');
  });

  it('pushes a burst of 2,000 messages over kept-alive connections', async () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `burst-${i}`);
    for (const id of ids) open(id);
    const sockets = new Set<unknown>();
    const onConnection = (s: unknown) => sockets.add(s);
    server.on('connection', onConnection);

    const startMs = performance.now();
    const results = await Promise.all(ids.map((id) => adapters.apigw.postToConnection(id, '{"n":1}')));
    const tookMs = performance.now() - startMs;
    server.off('connection', onConnection);

    expect(results.every((r) => r === 'sent')).toBe(true);
    expect(sockets.size).toBeLessThanOrEqual(256);
    console.info(`2,000 pushes in ${tookMs.toFixed(0)} ms over ${sockets.size} new sockets`);
  });
});

afterAll(() => {
  if (lateness.length > 0) {
    const sorted = [...lateness].sort((a, b) => a - b);
    console.info(
      `scheduler firing lateness over ${sorted.length} firings: min ${sorted[0]} ms, ` +
        `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms`,
    );
  }
});
