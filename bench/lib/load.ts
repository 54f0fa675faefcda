// HTTP load: autocannon for "as fast as it goes" and the start/stop and login mixes, and an
// open-loop driver for a fixed request rate (runAtRate below: why not autocannon's), in a process of its own (so the load generator does not share an
// event loop or a core's time slice accounting with the stack it measures). Driven over IPC:
//   {type:'run', spec} -> {type:'done', result}
// A spec is declarative (functions do not cross IPC): which endpoint, which tokens or emails.
import { fork } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { gcMeter, stealMeter, type GcPauses } from './common';

export interface LoadSpec {
  url: string;
  kind: 'status' | 'profile' | 'startstop' | 'login';
  /** Bearer tokens, used round-robin (startstop: one user per connection). */
  tokens?: string[];
  /** Login emails, round-robin, all with `password`. */
  emails?: string[];
  password?: string;
  connections: number;
  durationS: number;
  /** A fixed rate of requests per second (open loop, runAtRate); absent: as fast as it goes (autocannon). */
  rate?: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** CPU time the hypervisor gave to other guests during the run, % (bench/lib/common.ts). */
  stealPct?: number;
  /** GC pauses on the stack's event loop (the thread that answers the API) during the run. */
  gc?: GcPauses;
}

export interface LoadRunner {
  run(spec: LoadSpec): Promise<LoadResult>;
  close(): void;
}

export function startLoadRunner(): LoadRunner {
  const child = fork(fileURLToPath(import.meta.url), ['--load'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let seq = 0;
  return {
    run: (spec) =>
      new Promise((resolve, reject) => {
        const id = ++seq;
        const steal = stealMeter();
        const gc = gcMeter();
        const onMessage = (m: { type: string; id: number; result?: LoadResult; error?: string }): void => {
          if (m.type !== 'done' || m.id !== id) return;
          child.off('message', onMessage);
          const pauses = gc();
          if (m.error !== undefined) reject(new Error(m.error));
          else resolve({ ...(m.result as LoadResult), stealPct: steal(), gc: pauses });
        };
        child.on('message', onMessage);
        child.send({ type: 'run', id, spec });
      }),
    close: () => child.kill('SIGTERM'),
  };
}

type Ctx = Record<string, unknown>;

function requestsFor(spec: LoadSpec): autocannon.Request[] {
  let next = 0;
  const token = (): string => {
    const list = spec.tokens ?? [];
    return list[next++ % list.length] as string;
  };
  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  switch (spec.kind) {
    case 'status':
    case 'profile': {
      const p = spec.kind === 'status' ? '/api/session/status' : '/api/user/profile';
      return [{ method: 'GET', path: p, setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...bearer(token()) } }) }];
    }
    case 'startstop': {
      // One user per connection: start, then stop, on the same connection, forever.
      const own = (ctx: Ctx): string => {
        ctx.token ??= token();
        return ctx.token as string;
      };
      return [
        { method: 'POST', path: '/api/session/start', setupRequest: (req, ctx: Ctx) => ({ ...req, headers: { ...req.headers, ...bearer(own(ctx)) } }) },
        { method: 'POST', path: '/api/session/stop', setupRequest: (req, ctx: Ctx) => ({ ...req, headers: { ...req.headers, ...bearer(own(ctx)) } }) },
      ] as autocannon.Request[];
    }
    case 'login': {
      const emails = spec.emails ?? [];
      return [
        {
          method: 'POST',
          path: '/api/auth/login',
          setupRequest: (req) => ({
            ...req,
            headers: { ...req.headers, 'content-type': 'application/json' },
            body: JSON.stringify({ email: emails[next++ % emails.length], password: spec.password }),
          }),
        },
      ];
    }
  }
}

/**
 * A fixed rate, open loop: request i is due at t0 + i/rate and is sent then (over at most
 * `connections` keep-alive sockets), whatever the answers before it did; its latency counts from
 * when it was due, so time spent queued behind a slow answer counts too (as wrk2 does).
 * autocannon's `overallRate` is not this: each connection sends its share of the second back to
 * back and then idles, so every second starts with a burst of `connections` requests in flight,
 * and its latencies are those of the burst, not of requests arriving at the rate.
 */
async function runAtRate(spec: LoadSpec & { rate: number }): Promise<LoadResult> {
  const target = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const paths = { status: '/api/session/status', profile: '/api/user/profile' } as const;
  if (spec.kind !== 'status' && spec.kind !== 'profile') throw new Error(`a fixed rate is for GET status/profile, not ${spec.kind}`);
  const requestPath = paths[spec.kind];
  const tokens = spec.tokens ?? [];
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let sent = 0;
  const total = Math.round(spec.rate * spec.durationS);
  // Off while the connections are opened (below): those requests are not counted.
  let measuring = false;
  const one = (dueAt: number, token: string): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request(
        { host: target.hostname, port: target.port, path: requestPath, method: 'GET', agent, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (measuring) {
              latencies.push(performance.now() - dueAt);
              codes[String(res.statusCode)] = (codes[String(res.statusCode)] ?? 0) + 1;
            }
            resolve();
          });
        },
      );
      req.on('timeout', () => {
        if (measuring) timeouts += 1;
        req.destroy();
      });
      req.on('error', () => {
        if (measuring) errors += 1;
        resolve();
      });
      req.end();
    });
  // Open the agent's connections before the clock starts: a run measures the API, not TCP
  // handshakes (opened on demand they made the first half second of every run the slowest).
  await Promise.all(Array.from({ length: spec.connections }, (_, i) => one(performance.now(), tokens[i % tokens.length] as string)));
  measuring = true;
  const t0 = performance.now();
  const inFlight: Array<Promise<void>> = [];
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) * spec.rate) / 1000) + 1);
      while (sent < due) {
        inFlight.push(one(t0 + (sent * 1000) / spec.rate, tokens[sent % tokens.length] as string));
        sent += 1;
      }
      if (sent >= total) return resolve();
      setTimeout(pump, Math.max(0, t0 + (sent * 1000) / spec.rate - performance.now()));
    };
    pump();
  });
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 10) / 10;
  const non2xx = Object.entries(codes).filter(([c]) => !c.startsWith('2')).reduce((n, [, v]) => n + v, 0);
  return {
    requests: latencies.length,
    rps: latencies.length / elapsedS,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: Math.round((latencies[latencies.length - 1] ?? 0) * 10) / 10,
    mean: Math.round((latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)) * 10) / 10,
    non2xx,
    errors,
    timeouts,
    statusCodes: codes,
  };
}

async function runOne(spec: LoadSpec): Promise<LoadResult> {
  if (spec.rate !== undefined) return runAtRate({ ...spec, rate: spec.rate });
  const opts: autocannon.Options = {
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    requests: requestsFor(spec),
    timeout: 10,
  };
  const r = await autocannon(opts);
  const codes: Record<string, number> = {};
  for (const [code, v] of Object.entries((r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {})) codes[code] = v.count;
  return {
    requests: r.requests.total,
    rps: r.requests.total / spec.durationS,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    mean: r.latency.average,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes: codes,
  };
}

if (process.argv.includes('--load') && path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  process.on('message', (m: { type: string; id: number; spec: LoadSpec }) => {
    if (m.type !== 'run') return;
    runOne(m.spec).then(
      (result) => process.send?.({ type: 'done', id: m.id, result }),
      (err: unknown) => process.send?.({ type: 'done', id: m.id, error: String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
