// A tick in a child process, so a fault test can SIGKILL it at a chosen moment. The mode says
// where it stands when it announces itself on stdout:
//   loop       the real tickPass loop (the test kills it at a random moment, mid-batch or not)
//   open       a batch settled inside a transaction that has not committed yet
//   committed  a batch settled and committed, before the Redis schedule is updated or anyone told
// Configuration comes from the environment, as the functions read it (DATABASE_URL, Upstash, …).
import { withTransaction } from '../../../functions/adapters/pg';
import { config } from '../../../functions/config';
import { log } from '../../../functions/core/log';
import { listActiveSessions, settleSessions } from '../../../functions/core/store';
import { tickPass } from '../../../functions/core/tick';

const forever = (): Promise<never> => new Promise(() => setInterval(() => undefined, 60_000));

async function main(mode: string | undefined): Promise<void> {
  const c = config();
  const periodMs = c.periodMs;
  if (mode === 'loop') {
    console.log('ready');
    for (let pass = 1; ; pass += 1) {
      const r = await tickPass({ periodMs, batchSize: c.tickBatchSize, maxBatches: c.tickMaxBatches, concurrency: c.tickConcurrency, log });
      console.log(`pass ${pass} settled ${r.settled} charged ${r.charged} batches ${r.batches}`);
    }
  }
  const ids = (await listActiveSessions(periodMs)).map((s) => s.id);
  if (mode === 'open') {
    await withTransaction(async (client) => {
      const results = await settleSessions(ids, periodMs, { client });
      console.log(`uncommitted ${results.length} ${results.reduce((a, r) => a + r.paid, 0)}`);
      await forever();
    });
  } else if (mode === 'committed') {
    const results = await settleSessions(ids, periodMs);
    console.log(`committed ${results.length} ${results.reduce((a, r) => a + r.paid, 0)}`);
    await forever();
  } else {
    throw new Error(`unknown mode ${mode ?? '(none)'}`);
  }
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
});
