// Fault (e): the timer firing twice (EventBridge Scheduler delivers at least once). The tick is
// off, so the durable timers alone end the sessions. Each session's deadline is delivered several
// times: a second schedule for the same session through the real SchedulerClient (the local
// Scheduler fires both), two concurrent direct invocations of the expire handler at the deadline
// and one more after it; some early (a duplicate before the end), some after a balance change
// moved the deadline. Nothing is charged twice and every session ends at exactly t0 + B·P.
import { CreateScheduleCommand, GetScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/client';
import { audit, ledgerViolations, ruleViolations, sessionRows, setCredits, sleep, startFaultStack, summary, waitUntil, type FaultStack } from './support/harness';

const periodMs = 100;
const adminEmail = `timer-admin-${Date.now()}@example.com`;

let stack: FaultStack;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startFaultStack({ periodMs, tickMs: 0, env: { ADMIN_EMAILS: adminEmail } });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());

describe('the timer firing twice', () => {
  it('charges nothing extra and ends every session exactly, however often its deadline is delivered', async () => {
    const { handler: expire } = await import('../../functions/handlers/expire');
    const { atExpression } = await import('../../functions/adapters/scheduler');
    const { config } = await import('../../functions/config');
    const c = config();
    const scheduler = new SchedulerClient({ region: c.awsRegion, endpoint: c.schedulerEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const admin = await client.signup(adminEmail);

    // Prepare: 24 sessions of 5 to 20 credits; a third get 3 more credits from an admin mid-way.
    const n = 24;
    const balances = Array.from({ length: n }, () => 5 + Math.floor(Math.random() * 16));
    const users = await Promise.all(balances.map(() => client.signup()));
    for (const [i, u] of users.entries()) await setCredits(stack.sql, u.user.id, balances[i] ?? 0);
    const starts = await Promise.all(users.map((u) => client.start(u.token)));
    const ids = starts.map((s) => s.body.session.id);
    const outcomes = new Map<string, number>();
    const record = (o: { outcome: string }): void => void outcomes.set(o.outcome, (outcomes.get(o.outcome) ?? 0) + 1);
    let duplicateSchedules = 0;
    let directFirings = 0;
    let earlyFirings = 0;
    let extended = 0;
    const finalBalances = [...balances];

    // Act
    await Promise.all(
      ids.map(async (id, i) => {
        const t0 = Date.parse(starts[i]?.body.session.startTime ?? '');
        if (i % 3 === 0) {
          // A duplicate delivered early, then a top-up moves the deadline (the old one will fire too).
          await sleep(Math.max(0, t0 + Math.floor(((balances[i] ?? 0) * periodMs) / 3) - Date.now()));
          record(await expire({ sessionId: id }));
          earlyFirings += 1;
          const r = await client.call('POST', '/api/admin/credits', { token: admin.token, body: { userId: users[i]?.user.id, delta: 3, reason: 'timer fault test' } });
          expect(r.status).toBe(200);
          // Still running at the change (the usual case): the 3 credits extend it. Already run
          // out (this process was slow): the change found it ended, as the rule says.
          if (r.body.session?.isActive === true) {
            finalBalances[i] = (balances[i] ?? 0) + 3;
            extended += 1;
          }
        }
        const endMs = t0 + (finalBalances[i] ?? 0) * periodMs;
        if (i % 2 === 0) {
          // A second schedule for the same session: the local Scheduler fires both.
          await scheduler.send(
            new CreateScheduleCommand({
              Name: `dup-session-${id}`,
              GroupName: c.scheduleGroup,
              ScheduleExpression: atExpression(endMs),
              ScheduleExpressionTimezone: 'UTC',
              FlexibleTimeWindow: { Mode: 'OFF' },
              ActionAfterCompletion: 'DELETE',
              Target: { Arn: c.expireFunctionArn, RoleArn: c.schedulerRoleArn, Input: JSON.stringify({ sessionId: id }) },
            }),
          );
          duplicateSchedules += 1;
        }
        await sleep(Math.max(0, endMs - Date.now()));
        const twice = await Promise.all([expire({ sessionId: id }), expire({ sessionId: id })]);
        twice.forEach(record);
        await sleep(300);
        record(await expire({ sessionId: id }));
        directFirings += 3;
      }),
    );

    // Assess
    await waitUntil(async () => [...(await sessionRows(stack.sql, ids)).values()].every((s) => !s.isActive), 10_000, 'every session to end');
    // The duplicate schedules fired (and deleted themselves after).
    await sleep(1500);
    for (const [i, id] of ids.entries()) {
      if (i % 2 !== 0) continue;
      const gone = await scheduler.send(new GetScheduleCommand({ Name: `dup-session-${id}`, GroupName: c.scheduleGroup })).then(
        () => false,
        (err: unknown) => err instanceof ResourceNotFoundException,
      );
      expect(gone, `duplicate schedule of session ${id} fired`).toBe(true);
    }
    const rows = await sessionRows(stack.sql, ids);
    const violations: string[] = [];
    for (const [i, id] of ids.entries()) {
      const s = rows.get(id);
      if (s === undefined) throw new Error('missing');
      violations.push(...ruleViolations(s, finalBalances[i] ?? 0, periodMs));
      expect(s.endReason).toBe('exhausted');
    }
    expect(violations).toEqual([]);
    expect(await ledgerViolations(stack.sql, ids, periodMs)).toEqual([]);
    expect(await audit(periodMs)).toEqual([]);
    expect([...outcomes.keys()].every((k) => ['ended', 'rearmed', 'inactive'].includes(k))).toBe(true);
    const deliveries = n + duplicateSchedules + directFirings + earlyFirings;
    summary(
      'timer-twice',
      `${n} sessions ended by their timers alone (tick off), ${deliveries} deadline deliveries in all: ${n} armed schedules + ${duplicateSchedules} duplicate schedules ` +
        `through the real SchedulerClient, ${directFirings} direct expire invocations at/after the deadline (two at once each), ${earlyFirings} early duplicates before an admin grant moved the deadline (${extended} extended) ` +
        `(our invocations: ${[...outcomes.entries()].map(([k, v]) => `${k} ×${v}`).join(', ')}); every session ended at exactly t0 + B·P, no boundary paid twice; audit clean`,
    );
  });
});
