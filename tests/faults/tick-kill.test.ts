// Fault (c): the tick killed in the middle of a batch. A tick runs in a child process (the real
// functions, configured like the stack's) and is SIGKILLed: inside a settle transaction that has
// not committed, after a commit but before the Redis schedule is updated, and at random moments
// of the real tick loop. Each kill leaves the ledger consistent (the audit is clean after every
// one), an uncommitted batch leaves no trace, and the sessions then end exactly per the rule.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/client';
import { audit, ledgerViolations, ruleViolations, sessionRows, setCredits, sleep, startFaultStack, summary, timed, waitUntil, type FaultStack } from './support/harness';

const periodMs = 100;
const childScript = path.resolve('tests/faults/support/tick-child.ts');
type Mode = 'loop' | 'open' | 'committed';

let stack: FaultStack;
let client: ReturnType<typeof api>;

beforeAll(async () => {
  stack = await startFaultStack({ periodMs, tickMs: 50 });
  client = api(stack.url);
});
afterAll(async () => stack?.stop());

interface KillOutcome {
  readonly mode: Mode;
  /** The child's last line before it was killed. */
  readonly lastLine: string;
  readonly passes: number;
}

/** Spawns a tick child and SIGKILLs it when `when(line)` says so (or on its first line after `delayMs`). */
function runAndKill(mode: Mode, delayMs: number): Promise<KillOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, mode], {
      env: { ...process.env, LOG_LEVEL: 'SILENT', TICK_BATCH_SIZE: '4', TICK_MAX_BATCHES: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lastLine = '';
    let passes = 0;
    let stderr = '';
    let armed = false;
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tick child (${mode}) never announced itself: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter((l) => l !== '')) {
        lastLine = line;
        if (line.startsWith('pass ')) passes += 1;
        if (!armed) {
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timeout);
      if (signal === 'SIGKILL') resolve({ mode, lastLine, passes });
      else reject(new Error(`tick child (${mode}) exited by itself (${code}): ${stderr}`));
    });
  });
}

async function consumedOf(ids: readonly string[]): Promise<number> {
  const rows = await sessionRows(stack.sql, ids);
  return [...rows.values()].reduce((a, s) => a + s.consumed, 0);
}

describe('the tick killed in the middle of a batch', () => {
  it('loses and doubles nothing, whether killed before the commit, after it, or anywhere in the loop', async () => {
    // Prepare: long sessions (stopped at the end) and, later, short ones (left to run out).
    const longBalance = 1000;
    const longUsers = await Promise.all(Array.from({ length: 24 }, () => client.signup()));
    for (const u of longUsers) await setCredits(stack.sql, u.user.id, longBalance);
    await stack.pauseTick();
    const longIds = (await Promise.all(longUsers.map((u) => client.start(u.token)))).map((r) => r.body.session.id);

    // Act: kill rounds, the stack's own tick paused so the children do the charging.
    const modes: Mode[] = ['open', 'committed', 'loop'];
    const rounds = 15;
    const outcomes: KillOutcome[] = [];
    let discardedCredits = 0;
    let loopCharged = 0;
    let shortIds: string[] = [];
    let shortBalances: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      if (round === rounds - 6) {
        // Short sessions join for the last rounds; they run out shortly after.
        shortBalances = [20, 25, 30, 35, 40, 50];
        const shortUsers = await Promise.all(shortBalances.map(() => client.signup()));
        for (const [i, u] of shortUsers.entries()) await setCredits(stack.sql, u.user.id, shortBalances[i] ?? 0);
        shortIds = (await Promise.all(shortUsers.map((u) => client.start(u.token)))).map((r) => r.body.session.id);
      }
      await sleep(150 + Math.floor(Math.random() * 250));
      const mode = modes[round % modes.length] as Mode;
      const before = await consumedOf(longIds);
      const outcome = await runAndKill(mode, mode === 'loop' ? Math.floor(Math.random() * 1200) : 0);
      outcomes.push(outcome);
      if (mode === 'open') {
        // The uncommitted batch had charged something, and none of it stayed.
        const paid = Number(outcome.lastLine.split(' ')[2]);
        expect(outcome.lastLine).toMatch(/^uncommitted \d+ \d+$/);
        expect(paid).toBeGreaterThan(0);
        discardedCredits += paid;
        expect(await consumedOf(longIds)).toBe(before);
        // Its row locks died with it: a settle goes through at once.
        const { settleSessions } = await import('../../functions/core/store');
        const { ms } = await timed(() => settleSessions(longIds, periodMs));
        expect(ms).toBeLessThan(3000);
      }
      if (mode === 'committed') expect(outcome.lastLine).toMatch(/^committed \d+ \d+$/);
      if (mode === 'loop') loopCharged += (await consumedOf(longIds)) - before;
      expect(await audit(periodMs)).toEqual([]);
    }
    stack.resumeTick();

    // Assess: stop the long sessions (charged exactly per the rule), let the short ones run out.
    const stops = await Promise.all(longUsers.map((u) => client.stop(u.token)));
    for (const s of stops) expect(s.status).toBe(200);
    await waitUntil(async () => [...(await sessionRows(stack.sql, shortIds)).values()].every((s) => !s.isActive), 20_000, 'the short sessions to run out');
    const rows = await sessionRows(stack.sql, [...longIds, ...shortIds]);
    const violations: string[] = [];
    for (const id of longIds) violations.push(...ruleViolations(rows.get(id) as NonNullable<ReturnType<typeof rows.get>>, longBalance, periodMs));
    for (const [i, id] of shortIds.entries()) {
      const s = rows.get(id);
      if (s === undefined) throw new Error('missing');
      violations.push(...ruleViolations(s, shortBalances[i] ?? 0, periodMs));
      expect(s.endReason).toBe('exhausted');
    }
    expect(violations).toEqual([]);
    expect(await ledgerViolations(stack.sql, [...longIds, ...shortIds], periodMs)).toEqual([]);
    expect(await audit(periodMs)).toEqual([]);

    const count = (m: Mode): number => outcomes.filter((o) => o.mode === m).length;
    const loopPasses = outcomes.filter((o) => o.mode === 'loop').map((o) => o.passes);
    summary(
      'tick-kill',
      `${outcomes.length} tick processes SIGKILLed over ${longIds.length + shortIds.length} live sessions: ${count('open')} inside an uncommitted settle ` +
        `(${discardedCredits} credits of charges rolled back, none kept), ${count('committed')} after the commit and before the Redis update, ` +
        `${count('loop')} at random moments of the tick loop (after ${loopPasses.join('/')} whole passes of ≤ 3 batches, ${loopCharged} credits charged and kept); audit clean after every kill; ` +
        `${longIds.length} stopped sessions charged exactly 1 + ⌊(end − t0)/P⌋, ${shortIds.length} ran out at exactly t0 + B·P; every ledger row pays its own boundary once`,
    );
  });
});
