// The Upstash REST bridge's thread (started by stack.ts): says {type:'ready', url} once it
// listens, {type:'closed'} after 'close'.
import { parentPort, workerData } from 'node:worker_threads';
import { startUpstashBridge, type UpstashBridgeOptions } from './upstash-bridge';

if (parentPort === null) throw new Error('bridge-worker runs as a thread of the local stack');
const port = parentPort;
const bridge = await startUpstashBridge(workerData as UpstashBridgeOptions);
port.on('message', (m: unknown) => {
  if (m !== 'close') return;
  void bridge.close().finally(() => {
    port.postMessage({ type: 'closed' });
    port.close();
  });
});
port.postMessage({ type: 'ready', url: bridge.url });
