// The local stack's own threads. In the cloud the tick is a function of its own and Redis sits
// behind Upstash's service; here each runs on a worker thread, so neither its work nor its
// garbage lands on the event loop that answers the API. From source (tsx, vitest) a thread
// registers tsx's loader and imports the TypeScript entry; from `npm run build` it runs the
// bundled sibling (dist/local/<name>.mjs).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export type ThreadName = 'tick-worker' | 'bridge-worker';

const fromSource = import.meta.url.endsWith('.ts');

// Loads tsx's ESM loader into the thread, then the entry. An import that fails ends the thread
// with that error (the parent's 'error' event).
const sourceBootstrap = `
const { workerData } = require('node:worker_threads');
(async () => {
  (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})().catch((err) => { setImmediate(() => { throw err; }); });`;

export function startThread(name: ThreadName, data: unknown): Worker {
  if (!fromSource) return new Worker(new URL(`./${name}.mjs`, import.meta.url), { workerData: data });
  // tsx/esm/api resolved as ESM (its CommonJS build registers from the wrong folder).
  const tsxApi = new URL('index.mjs', `file://${createRequire(import.meta.url).resolve('tsx/esm/api')}`).href;
  return new Worker(sourceBootstrap, {
    eval: true,
    // Not the parent's `--import tsx` and the like: the bootstrap registers the loader itself.
    execArgv: [],
    workerData: { ...(data as object), tsxApi, entry: new URL(`./${name}.ts`, import.meta.url).href },
  });
}

/** Resolves with the thread's first message of `type`; rejects if it fails or exits first. */
export function firstMessage<T extends { type: string }>(worker: Worker, type: T['type']): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== type) return;
      cleanup();
      resolve(m as T);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`thread exited (code ${code}) before it said "${type}"`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
