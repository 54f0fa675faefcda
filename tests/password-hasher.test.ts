// The local stack's bcrypt threads (functions/adapters/password-hasher.ts): hashes and compares
// right, and on Linux the hashing thread runs at SCHED_IDLE, so a request thread that wakes takes
// the core from it at once (bench/findings.md, item 29). The policy is read from /proc, as the
// kernel reports it, not from our own code.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

// Read by config() on first use; this file runs in a process of its own (pool: forks).
process.env.PASSWORD_HASH_WORKERS = '1';
const { closePasswordWorkers, comparePassword, hashPassword } = await import('../functions/adapters/password-hasher');

const schedIdle = 5;
const schedOther = 0;

/** The scheduling policy of each thread of this process: field 41 of /proc/self/task/<tid>/stat. */
function threadPolicies(): number[] {
  return fs.readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38])];
    } catch {
      return []; // the thread ended meanwhile
    }
  });
}

const onLinuxWithChrt = process.platform === 'linux' && ['/usr/bin/chrt', '/bin/chrt'].some((p) => fs.existsSync(p));

afterAll(async () => {
  await closePasswordWorkers();
});

describe('password hashing on worker threads', () => {
  it('hashes a password and verifies it, refusing any other', async () => {
    const hash = await hashPassword('correct horse battery', 4);

    expect(hash).toMatch(/^\$2[aby]\$04\$/);
    expect(await comparePassword('correct horse battery', hash)).toBe(true);
    expect(await comparePassword('correct horse batterz', hash)).toBe(false);
  });

  it.runIf(onLinuxWithChrt)('runs the hashing thread at SCHED_IDLE and leaves every other thread as it was', async () => {
    await hashPassword('warm the pool', 4);

    const policies = threadPolicies();

    expect(policies.filter((p) => p === schedIdle)).toHaveLength(1);
    expect(policies.filter((p) => p !== schedIdle).every((p) => p === schedOther)).toBe(true);
  });
});
