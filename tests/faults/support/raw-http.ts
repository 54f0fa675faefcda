// HTTP on the wire, for the hostile-input tests (fuzz, tokens, headers, faults): requests written
// byte by byte over node:net, so a test can send what fetch refuses to (duplicated or malformed
// headers, bodies that disagree with Content-Length, odd methods, WebSocket upgrades with any
// Origin) from any loopback source address (127.0.0.x: a different "client address" for the
// per-address rate limits), and the response parsed as it arrives.
import http from 'node:http';
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  header(name: string): string | undefined;
  readonly body: Buffer;
  readonly text: string;
  readonly ms: number;
}

export interface RawRequest {
  readonly method: string;
  /** Path and query, sent as is. */
  readonly target: string;
  /** Sent in order, duplicates included. Host and Connection are added unless present. */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: Buffer | string;
  /** Add a Content-Length matching the body (default true when there is a body). */
  readonly contentLength?: boolean;
}

export function buildRequest(port: number, r: RawRequest): Buffer {
  const headers = [...(r.headers ?? [])];
  const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', `127.0.0.1:${port}`]);
  if (!has('connection') && !has('upgrade')) headers.push(['Connection', 'close']);
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
  if ((r.contentLength ?? r.body !== undefined) && !has('content-length') && !has('transfer-encoding')) headers.push(['Content-Length', String(body.length)]);
  const head = `${r.method} ${r.target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function dechunk(raw: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return null;
    if (size === 0) return Buffer.concat(parts);
    if (raw.length < eol + 2 + size + 2) return null;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Parses the first response in `raw`, or null while it is incomplete. */
function parseResponse(raw: Buffer, ended: boolean, headOnly: boolean): Omit<RawResponse, 'ms'> | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number((lines[0] ?? '').split(' ')[1]);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), line.slice(i + 1).trim()]);
  }
  const rest = raw.subarray(end + 4);
  let body: Buffer | null;
  const length = headers.get('content-length')?.[0];
  if (headOnly || status === 101 || status === 204 || status === 304) body = Buffer.alloc(0);
  else if (headers.get('transfer-encoding')?.[0]?.toLowerCase() === 'chunked') body = dechunk(rest);
  else if (length !== undefined) body = rest.length >= Number(length) ? rest.subarray(0, Number(length)) : null;
  else body = ended ? rest : null;
  if (body === null) return null;
  const b = body;
  return { status, headers, header: (name) => headers.get(name.toLowerCase())?.join(', '), body: b, text: b.toString('utf8') };
}

/**
 * Sends `request` to 127.0.0.1:port and resolves with the first response. Rejects if the
 * server closes without one, or after `timeoutMs`.
 */
export function rawRequest(
  port: number,
  request: RawRequest | Buffer,
  opts: { localAddress?: string; timeoutMs?: number; headOnly?: boolean } = {},
): Promise<RawResponse> {
  const bytes = Buffer.isBuffer(request) ? request : buildRequest(port, request);
  const headOnly = opts.headOnly ?? (!Buffer.isBuffer(request) && request.method === 'HEAD');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: opts.localAddress });
    let raw = Buffer.alloc(0);
    let done = false;
    const finish = (ended: boolean): void => {
      if (done) return;
      const parsed = parseResponse(raw, ended, headOnly);
      if (parsed === null) {
        if (ended) {
          done = true;
          clearTimeout(timer);
          reject(new Error(`connection closed without a complete response (${raw.length} bytes: ${raw.subarray(0, 200).toString('latin1')})`));
        }
        return;
      }
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parsed, ms: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new Error(`no response within ${opts.timeoutMs ?? 10_000} ms`));
    }, opts.timeoutMs ?? 10_000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => {
      raw = Buffer.concat([raw, d]);
      finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** A JSON request from a chosen source address (node:http; fetch cannot pick one). */
export function requestFrom(
  baseUrl: string,
  localAddress: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const url = new URL(path, baseUrl);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
