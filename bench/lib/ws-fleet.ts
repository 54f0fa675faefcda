// A fleet of real WebSocket clients (the `ws` package) in a process of its own, so receiving
// does not share an event loop with the stack it measures. Driven over IPC by a scenario:
//   {type:'connect', wsUrl, tokens, concurrency}  -> {type:'connected', ok, failed, ms}
//   {type:'collect'}                               -> {type:'records', updates, ended, errors}
//   {type:'churn', fraction}                       -> closes and reopens that share of sockets
//                                                     -> {type:'churned', ok, failed}
//   {type:'close'}                                 -> closes every socket and exits
// Each received message is stamped with Date.now() on arrival (same machine, same clock as
// PostgreSQL's clock_timestamp()).
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** [sessionId, creditsConsumed, receivedMs] */
export type UpdateRecord = [string, number, number];
/** [sessionId, endTimeMs, receivedMs, reason] */
export type EndedRecord = [string, number, number, string];

export interface FleetRecords {
  updates: UpdateRecord[];
  ended: EndedRecord[];
  errors: number;
  closedUnexpectedly: number;
}

type Request =
  | { type: 'connect'; wsUrl: string; tokens: string[]; concurrency: number }
  | { type: 'collect' }
  | { type: 'churn'; fraction: number }
  | { type: 'close' };

// ---------------------------------------------------------------------------------------------
// The parent's handle

export interface Fleet {
  connect(wsUrl: string, tokens: string[], concurrency?: number): Promise<{ ok: number; failed: number; ms: number }>;
  collect(): Promise<FleetRecords>;
  churn(fraction: number): Promise<{ ok: number; failed: number }>;
  close(): Promise<void>;
  readonly pid: number | undefined;
}

export function startFleet(): Fleet {
  const file = fileURLToPath(import.meta.url);
  const child: ChildProcess = fork(file, ['--fleet'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(req: Request, replyType: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: { type: string }): void => {
        if (m.type !== replyType) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as T);
      };
      const onExit = (code: number | null): void => reject(new Error(`ws fleet exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(req);
    });
  return {
    pid: child.pid,
    connect: (wsUrl, tokens, concurrency = 50) => ask({ type: 'connect', wsUrl, tokens, concurrency }, 'connected'),
    collect: () => ask({ type: 'collect' }, 'records'),
    churn: (fraction) => ask({ type: 'churn', fraction }, 'churned'),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ type: 'close' });
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// The fleet process

interface Slot {
  token: string;
  ws: WebSocket | null;
}

function runFleet(): void {
  let wsUrl = '';
  const slots: Slot[] = [];
  let records: FleetRecords = { updates: [], ended: [], errors: 0, closedUnexpectedly: 0 };

  const open = (slot: Slot): Promise<boolean> =>
    new Promise((resolve) => {
      const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(slot.token)}`);
      let settled = false;
      const done = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        resolve(ok);
      };
      ws.on('message', (data) => {
        const recv = Date.now();
        try {
          const m = JSON.parse(String(data)) as { type: string; session?: { id: string; creditsConsumed: number; endTime: string | null } | null; reason?: string };
          if (m.type === 'session.update' && m.session) records.updates.push([m.session.id, m.session.creditsConsumed, recv]);
          else if (m.type === 'session.ended' && m.session) records.ended.push([m.session.id, Date.parse(m.session.endTime ?? ''), recv, m.reason ?? '']);
        } catch {
          records.errors += 1;
        }
      });
      ws.on('open', () => {
        slot.ws = ws;
        done(true);
      });
      ws.on('unexpected-response', () => {
        records.errors += 1;
        done(false);
      });
      ws.on('error', () => {
        if (!settled) records.errors += 1;
        done(false);
      });
      ws.on('close', () => {
        if (slot.ws === ws) {
          slot.ws = null;
          records.closedUnexpectedly += 1;
        }
      });
    });

  const close = (slot: Slot): Promise<void> =>
    new Promise((resolve) => {
      const ws = slot.ws;
      slot.ws = null;
      if (ws === null || ws.readyState === ws.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.close();
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 3000).unref();
    });

  async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<boolean>): Promise<{ ok: number; failed: number }> {
    let next = 0;
    let ok = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
        while (next < items.length) {
          if (await fn(items[next++] as T)) ok += 1;
          else failed += 1;
        }
      }),
    );
    return { ok, failed };
  }

  process.on('message', (req: Request) => {
    void (async () => {
      if (req.type === 'connect') {
        wsUrl = req.wsUrl;
        const t0 = Date.now();
        const fresh = req.tokens.map((token) => ({ token, ws: null }) as Slot);
        slots.push(...fresh);
        const r = await inPool(fresh, req.concurrency, open);
        process.send?.({ type: 'connected', ...r, ms: Date.now() - t0 });
      } else if (req.type === 'collect') {
        const out = records;
        records = { updates: [], ended: [], errors: 0, closedUnexpectedly: 0 };
        process.send?.({ type: 'records', ...out });
      } else if (req.type === 'churn') {
        const chosen = slots.filter(() => Math.random() < req.fraction);
        const r = await inPool(chosen, 50, async (slot) => {
          await close(slot);
          return open(slot);
        });
        process.send?.({ type: 'churned', ...r });
      } else if (req.type === 'close') {
        await Promise.all(slots.map(close));
        process.exit(0);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--fleet') && path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) runFleet();
