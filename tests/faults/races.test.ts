// Fault (d): tick, stop and the expire handler racing on one session, hundreds of times. Each
// iteration starts a session holding a few credits, waits a random time (sometimes past the
// moment the credits run out), then fires a tick pass, a stop (over HTTP) and the expire handler
// (as EventBridge Scheduler would) at once — with the stack's own tick and timer also running.
// Every outcome must be consistent (a stop answers 200 `stopped` or 404 because the session had
// run out, never both, never neither) and every session must be charged exactly per the rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/client';
import { audit, ledgerViolations, ruleViolations, sessionRows, setCredits, sleep, startFaultStack, summary, type FaultStack } from './support/harness';

const periodMs = 100;
const workers = 10;
const iterationsPerWorker = 30;

let stack: FaultStack;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startFaultStack({ periodMs, tickMs: 50 });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());

describe('tick, stop and expire racing on one session', () => {
  it(`charges exactly per the rule in ${workers * iterationsPerWorker} races, every outcome consistent`, async () => {
    const { tickPass } = await import('../../functions/core/tick');
    const { log } = await import('../../functions/core/log');
    const { handler: expire } = await import('../../functions/handlers/expire');
    const tick = { periodMs, batchSize: 100, maxBatches: 10, log };

    const tally = {
      races: 0,
      stop200: 0,
      stop404: 0,
      stopped: 0,
      exhausted: 0,
      stoppedOnBoundary: 0,
      expire: new Map<string, number>(),
      tickCharged: 0,
    };
    const violations: string[] = [];
    const sessionIds: string[] = [];

    async function worker(): Promise<void> {
      const u = await client.signup();
      for (let i = 0; i < iterationsPerWorker; i += 1) {
        // Prepare: a balance of 1 to 5 credits, a session, a random wait up to its end (the requests themselves take a few ms more).
        const balance = 1 + Math.floor(Math.random() * 5);
        await setCredits(stack.sql, u.user.id, balance);
        const started = await client.start(u.token);
        if (started.status !== 201) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
        const id = started.body.session.id;
        sessionIds.push(id);
        await sleep(Math.floor(Math.random() * balance * periodMs * 0.8));

        // Act: the three writers at once.
        const [pass, stop, fired] = await Promise.all([tickPass(tick), client.stop(u.token), expire({ sessionId: id })]);
        tally.races += 1;
        tally.tickCharged += pass.charged;
        tally.expire.set(fired.outcome, (tally.expire.get(fired.outcome) ?? 0) + 1);

        // Assess
        const row = (await sessionRows(stack.sql, [id])).get(id);
        if (row === undefined) throw new Error(`session ${id} missing`);
        violations.push(...ruleViolations(row, balance, periodMs));
        if (row.credits !== balance - row.consumed) violations.push(`session ${id}: balance ${row.credits} after ${balance} − ${row.consumed}`);
        if (stop.status === 200) {
          tally.stop200 += 1;
          const s = stop.body.session;
          if (row.endReason !== 'stopped') violations.push(`session ${id}: stop answered 200 but it ended ${row.endReason}`);
          if (s.creditsConsumed !== row.consumed || Date.parse(s.endTime ?? '') !== row.endMs) violations.push(`session ${id}: the stop's answer differs from the ledger`);
          if (stop.body.user.credits !== row.credits) violations.push(`session ${id}: the stop answered ${stop.body.user.credits} credits, the ledger ${row.credits}`);
        } else if (stop.status === 404 && stop.body.error.code === 'no_active_session') {
          tally.stop404 += 1;
          if (row.endReason !== 'exhausted') violations.push(`session ${id}: stop answered 404 but it ended ${row.endReason}`);
        } else {
          violations.push(`session ${id}: stop answered ${stop.status} ${JSON.stringify(stop.body)}`);
        }
        if (!['ended', 'rearmed', 'inactive'].includes(fired.outcome)) violations.push(`session ${id}: expire answered ${fired.outcome}`);
        if (row.endReason === 'stopped') {
          tally.stopped += 1;
          if (row.endMs !== null && (row.endMs - row.startMs) % periodMs === 0) tally.stoppedOnBoundary += 1;
        } else if (row.endReason === 'exhausted') tally.exhausted += 1;
      }
    }

    await Promise.all(Array.from({ length: workers }, () => worker()));

    expect(violations).toEqual([]);
    expect(tally.races).toBe(workers * iterationsPerWorker);
    expect(tally.stop200 + tally.stop404).toBe(tally.races);
    expect(await ledgerViolations(stack.sql, sessionIds, periodMs)).toEqual([]);
    expect(await audit(periodMs)).toEqual([]);
    summary(
      'races',
      `${tally.races} races of tickPass + stop + expire on one session (with the stack's tick and timers also running): ` +
        `stop 200 ×${tally.stop200} / 404 ×${tally.stop404}; ended stopped ×${tally.stopped} (${tally.stoppedOnBoundary} exactly on a boundary), exhausted ×${tally.exhausted}; ` +
        `expire ${[...tally.expire.entries()].map(([k, n]) => `${k} ×${n}`).join(', ')}; the racing tick charged ${tally.tickCharged} credits; ` +
        `every session charged exactly min(B, 1 + ⌊(end − t0)/P⌋), no boundary paid twice; audit clean`,
    );
  });
});
