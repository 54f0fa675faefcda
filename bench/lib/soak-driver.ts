// The soak's users, in a process of their own: each actor loops start → (a few seconds) →
// status → stop (or lets the session run out) → pause, through the real HTTP API. Any answer
// the API documents as an outcome (201 start, 402 no credits, 200 stop, 404 already run out,
// 200 status) is fine; anything else — a 5xx, a 409, a network error — is counted as an error.
//   {type:'run', url, tokens, durationS} -> {type:'done', result}
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SoakDriverResult {
  requests: number;
  byOutcome: Record<string, number>;
  errors: number;
  errorSamples: string[];
  latency: { p50: number; p99: number; max: number };
}

export function runSoakDriver(url: string, tokens: string[], durationS: number): Promise<SoakDriverResult> {
  const child = fork(fileURLToPath(import.meta.url), ['--soak-driver'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m: { type: string; result: SoakDriverResult }) => {
      if (m.type === 'done') {
        resolve(m.result);
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => reject(new Error(`soak driver exited (${code})`)));
    child.send({ type: 'run', url, tokens, durationS });
  });
}

const allowed: Record<string, number[]> = { start: [201, 402], stop: [200, 404], status: [200] };

async function drive(url: string, tokens: string[], durationS: number): Promise<SoakDriverResult> {
  const until = Date.now() + durationS * 1000;
  const byOutcome: Record<string, number> = {};
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let requests = 0;
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const call = async (token: string, route: 'start' | 'stop' | 'status', alsoFine: number[] = []): Promise<number> => {
    const fine = [...(allowed[route] ?? []), ...alsoFine];
    const method = route === 'status' ? 'GET' : 'POST';
    const t0 = performance.now();
    let status = 0;
    try {
      const res = await fetch(`${url}/api/session/${route}`, { method, headers: { authorization: `Bearer ${token}` } });
      status = res.status;
      const body = await res.text();
      if (!fine.includes(status) && errorSamples.length < 10) errorSamples.push(`${route} ${status} ${body.slice(0, 200)}`);
    } catch (err) {
      if (errorSamples.length < 10) errorSamples.push(`${route} network ${String(err)}`);
    }
    latencies.push(performance.now() - t0);
    requests += 1;
    const key = `${route} ${status}`;
    byOutcome[key] = (byOutcome[key] ?? 0) + 1;
    if (!fine.includes(status)) errors += 1;
    return status;
  };
  await Promise.all(
    tokens.map(async (token, i) => {
      await pause((i * 37) % 3000);
      // After a stop that failed, the session may still run: the next start's 409 is then the
      // expected answer (counted with that failure, not as a second error), and the user stops it.
      let stopFailed = false;
      while (Date.now() < until) {
        const started = await call(token, 'start', stopFailed ? [409] : []);
        if (started === 409 && stopFailed) {
          stopFailed = ![200, 404].includes(await call(token, 'stop'));
          continue;
        }
        if (started !== 201) {
          await pause(3000);
          continue;
        }
        await pause(2000 + Math.random() * 10_000);
        await call(token, 'status');
        await pause(1000 + Math.random() * 5000);
        stopFailed = ![200, 404].includes(await call(token, 'stop'));
        await pause(500 + Math.random() * 2500);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 10) / 10;
  return { requests, byOutcome, errors, errorSamples, latency: { p50: at(0.5), p99: at(0.99), max: at(1 - 1e-12) } };
}

if (process.argv.includes('--soak-driver') && path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  process.on('message', (m: { type: string; url: string; tokens: string[]; durationS: number }) => {
    if (m.type !== 'run') return;
    void drive(m.url, m.tokens, m.durationS).then((result) => process.send?.({ type: 'done', result }));
  });
  process.on('disconnect', () => process.exit(0));
}
