// HTTP load with autocannon, in a process of its own (so the load generator does not share an
// event loop or a core's time slice accounting with the stack it measures). Driven over IPC:
//   {type:'run', spec} -> {type:'done', result}
// A spec is declarative (functions do not cross IPC): which endpoint, which tokens or emails.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

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
  /** Requests per second over all connections; absent: as fast as it goes. */
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
        const onMessage = (m: { type: string; id: number; result?: LoadResult; error?: string }): void => {
          if (m.type !== 'done' || m.id !== id) return;
          child.off('message', onMessage);
          if (m.error !== undefined) reject(new Error(m.error));
          else resolve(m.result as LoadResult);
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

async function runOne(spec: LoadSpec): Promise<LoadResult> {
  const opts: autocannon.Options = {
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    requests: requestsFor(spec),
    timeout: 10,
    ...(spec.rate !== undefined ? { overallRate: spec.rate } : {}),
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
