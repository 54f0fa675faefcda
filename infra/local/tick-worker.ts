// The local tick's thread (started by stack.ts): the same loop the tick Lambda runs, until the
// stack says stop. Its configuration is the environment the stack set before starting it (a
// thread gets a copy of process.env). Says {type:'stopped'} once the loop has ended and its
// database connections are closed: nothing it started is still writing.
import { parentPort } from 'node:worker_threads';
import { closeDb } from '../../functions/adapters/pg';
import { config } from '../../functions/config';
import { log } from '../../functions/core/log';
import { loopSettings, runTickLoop } from '../../functions/core/tick';

if (parentPort === null) throw new Error('tick-worker runs as a thread of the local stack');
const port = parentPort;
const abort = new AbortController();
port.on('message', (m: unknown) => {
  if (m === 'stop') abort.abort();
});
try {
  await runTickLoop({ ...loopSettings(config()), untilMs: Number.POSITIVE_INFINITY, signal: abort.signal, log });
} finally {
  await closeDb().catch(() => undefined);
  port.postMessage({ type: 'stopped' });
  port.close();
}
