// A real WebSocket client for the tests (the `ws` package), collecting the server's messages.
import WebSocket from 'ws';
import type { ServerMessage } from '../../functions/wire';

export interface TestSocket {
  readonly messages: ServerMessage[];
  /** Resolves with the first message (already received or future) matching `pred`. */
  next(pred: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  send(data: string): void;
  close(): Promise<void>;
  readonly ws: WebSocket;
}

export function connectSocket(wsUrl: string, token: string | undefined, opts: { origin?: string } = {}): Promise<TestSocket> {
  const url = token === undefined ? wsUrl : `${wsUrl}?token=${encodeURIComponent(token)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.origin === undefined ? {} : { origin: opts.origin });
    const messages: ServerMessage[] = [];
    const waiters: Array<{ pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void; seen: number }> = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      messages.push(m);
      for (const w of [...waiters]) {
        if (w.pred(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`refused: ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.on('error', (err) => reject(err));
    ws.on('open', () =>
      resolve({
        ws,
        messages,
        next(pred, timeoutMs = 15_000) {
          const found = messages.find(pred);
          if (found !== undefined) return Promise.resolve(found);
          return new Promise((res, rej) => {
            const waiter = { pred, resolve: (m: ServerMessage) => { clearTimeout(t); res(m); }, seen: messages.length };
            const t = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1);
              rej(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.map((x) => x.type))}`));
            }, timeoutMs);
            waiters.push(waiter);
          });
        },
        send: (data) => ws.send(data),
        close: () =>
          new Promise<void>((res) => {
            if (ws.readyState === ws.CLOSED) return res();
            ws.once('close', () => res());
            ws.close();
          }),
      }),
    );
  });
}

export async function refusedStatus(wsUrl: string, token: string | undefined, opts: { origin?: string } = {}): Promise<number> {
  try {
    const s = await connectSocket(wsUrl, token, opts);
    await s.close();
    return 101;
  } catch (err) {
    return (err as { statusCode?: number }).statusCode ?? -1;
  }
}
