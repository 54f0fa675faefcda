// The local gateway: one HTTP server that plays API Gateway for the same handlers that run in
// Lambda. It serves the static site and /config.json, turns /api/* requests into HTTP API
// (payload v2) events through the route table, turns WebSocket connections and frames at /ws
// into $connect/$disconnect/$default events, answers the management API (`/@connections`) that
// the real ApiGatewayManagementApiClient posts to, and mounts the Scheduler emulator.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { WebSocketServer, type WebSocket } from 'ws';
import { httpRoutes, wsRoutes } from '../../functions/routes';
import type { WsEvent, WsResult } from '../../functions/handlers/ws';
import { createConnectionsEndpoint } from './connections-endpoint';
import { createSchedulerEmulator, type FiredSchedule } from './scheduler-emulator';
import { buildSecurityHeaders } from './security-headers';

export type HttpLambda = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
export type WsLambda = (event: WsEvent) => Promise<WsResult>;

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly siteDir: string | undefined;
  readonly httpHandlers: Readonly<Record<string, HttpLambda>>;
  readonly wsHandlers: Readonly<Record<string, WsLambda>>;
  readonly expire: (input: unknown) => Promise<unknown>;
  readonly allowedOrigins: readonly string[];
  readonly onLog?: (line: Record<string, unknown>) => void;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  readonly connectionCount: () => number;
  readonly scheduledTimers: () => number;
  close(): Promise<void>;
}

export const schedulerPrefix = '/_local/scheduler';
const maxRequestBytes = 1024 * 1024;
const maxWsPayloadBytes = 128 * 1024;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function sourceIp(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '127.0.0.1';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** Headers as API Gateway passes them: lower-cased, repeated ones joined with commas. */
function eventHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = (req.rawHeaders[i] ?? '').toLowerCase();
    const v = req.rawHeaders[i + 1] ?? '';
    out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  }
  return out;
}

function queryParams(search: URLSearchParams): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of search) out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
  return Object.keys(out).length === 0 ? undefined : out;
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

let securityHeaders = buildSecurityHeaders('');

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...securityHeaders, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message } }, headers);
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const sockets = new Map<string, { ws: WebSocket; connectedAt: number; sourceIp: string; lastActiveAt: number }>();
  const log = opts.onLog ?? (() => undefined);
  const routeIndex = new Map<string, Map<string, (typeof httpRoutes)[number]>>();
  for (const r of httpRoutes) {
    if (!routeIndex.has(r.path)) routeIndex.set(r.path, new Map());
    routeIndex.get(r.path)?.set(r.method, r);
  }
  const wsEntry = (key: string): WsLambda => {
    const route = wsRoutes.find((r) => r.routeKey === key);
    const fn = route === undefined ? undefined : opts.wsHandlers[route.entry];
    if (fn === undefined) throw new Error(`no handler for WebSocket route ${key}`);
    return fn;
  };

  const scheduler = createSchedulerEmulator({
    fire: async (s: FiredSchedule) => {
      await opts.expire(JSON.parse(s.input));
    },
    onError: (err) => log({ level: 'WARN', msg: 'scheduler emulator', error: String(err) }),
  });
  const connections = createConnectionsEndpoint({
    send: (id, data) => {
      const s = sockets.get(id);
      if (s === undefined || s.ws.readyState !== s.ws.OPEN) return false;
      s.ws.send(data.toString('utf8'));
      return true;
    },
    close: (id) => {
      const s = sockets.get(id);
      if (s === undefined) return false;
      s.ws.close(1000, 'closed by server');
      return true;
    },
    info: (id) => {
      const s = sockets.get(id);
      return s === undefined ? null : { connectedAt: s.connectedAt, sourceIp: s.sourceIp, lastActiveAt: s.lastActiveAt };
    },
  });

  let origin = '';
  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const o = req.headers.origin;
    if (o === undefined || !opts.allowedOrigins.includes(o.toLowerCase())) return {};
    return {
      'access-control-allow-origin': o,
      'access-control-allow-credentials': 'false',
      'access-control-expose-headers': 'retry-after',
      vary: 'origin',
    };
  };

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const byMethod = routeIndex.get(url.pathname);
    if (method === 'OPTIONS') {
      const cors = corsHeaders(req);
      res.writeHead(204, {
        ...securityHeaders,
        ...cors,
        ...(cors['access-control-allow-origin'] !== undefined
          ? { 'access-control-allow-methods': 'GET,POST,OPTIONS', 'access-control-allow-headers': 'authorization,content-type', 'access-control-max-age': '600' }
          : {}),
      });
      res.end();
      return;
    }
    if (byMethod === undefined) return sendError(res, 404, 'not_found', 'There is no such endpoint.', corsHeaders(req));
    const route = byMethod.get(method);
    if (route === undefined) {
      return sendError(res, 405, 'method_not_allowed', `Use ${[...byMethod.keys()].join(' or ')} for this endpoint.`, {
        ...corsHeaders(req),
        allow: [...byMethod.keys()].join(', '),
      });
    }
    const fn = opts.httpHandlers[route.entry];
    if (fn === undefined) return sendError(res, 500, 'internal', 'Something went wrong on our side. Please try again.');
    const body = await readBody(req);
    if (body === 'too_large') return sendError(res, 413, 'payload_too_large', 'The request body is too large.', { connection: 'close' });
    const headers = eventHeaders(req);
    const text = body.toString('utf8');
    const binary = body.length > 0 && !Buffer.from(text, 'utf8').equals(body);
    const now = new Date();
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: `${route.method} ${route.path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      queryStringParameters: queryParams(url.searchParams),
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: headers.host ?? '127.0.0.1',
        domainPrefix: 'local',
        http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: sourceIp(req), userAgent: headers['user-agent'] ?? '' },
        requestId: randomUUID(),
        routeKey: `${route.method} ${route.path}`,
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
      },
      body: body.length === 0 ? undefined : binary ? body.toString('base64') : text,
      isBase64Encoded: binary,
    };
    const result = await fn(event);
    const outHeaders: Record<string, string> = { ...securityHeaders, ...corsHeaders(req) };
    for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k.toLowerCase()] = String(v);
    res.writeHead(result.statusCode ?? 200, outHeaders);
    res.end(result.body === undefined ? '' : result.isBase64Encoded === true ? Buffer.from(result.body, 'base64') : result.body);
  }

  function resolveStatic(pathname: string): string | null {
    if (opts.siteDir === undefined) return null;
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const root = path.resolve(opts.siteDir);
    const candidates = decoded.endsWith('/') ? [`${decoded}index.html`] : [decoded, `${decoded}.html`, `${decoded}/index.html`];
    for (const c of candidates) {
      const file = path.resolve(root, `.${c}`);
      if (!file.startsWith(root + path.sep) && file !== root) continue;
      try {
        if (fs.statSync(file).isFile()) return file;
      } catch {
        // try the next candidate
      }
    }
    return null;
  }

  function handleStatic(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'method_not_allowed', 'Use GET for pages.', { allow: 'GET, HEAD' });
    if (url.pathname === '/config.json') {
      return sendJson(res, 200, { apiUrl: origin, wsUrl: `${origin.replace(/^http/, 'ws')}/ws` });
    }
    const file = resolveStatic(url.pathname);
    if (file === null) {
      const notFound = resolveStatic('/404.html');
      res.writeHead(404, { ...securityHeaders, 'content-type': 'text/html; charset=utf-8' });
      if (notFound !== null && method === 'GET') fs.createReadStream(notFound).pipe(res);
      else res.end(opts.siteDir === undefined || !fs.existsSync(opts.siteDir) ? 'The site is not built yet: run npm run build.' : 'Not found');
      return;
    }
    const immutable = url.pathname.startsWith('/_next/static/');
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://local');
    } catch {
      return sendError(res, 400, 'invalid_input', 'The request URL is not valid.');
    }
    if (req.httpVersion === '1.1' && req.headers.host === undefined) return sendError(res, 400, 'invalid_input', 'The Host header is required.');
    if (url.pathname.startsWith('/api/') || url.pathname === '/api') return handleApi(req, res, url);
    if (url.pathname.startsWith('/@connections/')) {
      // The management API is for the functions on this machine only.
      if (!isLoopback(req.socket.remoteAddress)) return sendError(res, 403, 'forbidden', 'Forbidden.');
      return connections.handle(req, res, url.pathname.slice('/@connections/'.length));
    }
    if (url.pathname.startsWith(`${schedulerPrefix}/`)) {
      if (!isLoopback(req.socket.remoteAddress)) return sendError(res, 403, 'forbidden', 'Forbidden.');
      return scheduler.handle(req, res, url.pathname.slice(schedulerPrefix.length) + url.search);
    }
    return handleStatic(req, res, url);
  }

  // Node would answer a missing Host with a bare 400 of its own: handle() answers it as JSON.
  const server = http.createServer({ requireHostHeader: false }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The client broke off or sent a body the parser refused (answered by clientError): nothing to answer.
      if ((err as { code?: unknown }).code === 'ECONNRESET') return void res.destroy();
      log({ level: 'ERROR', msg: 'gateway error', error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) sendError(res, 500, 'internal', 'Something went wrong on our side. Please try again.');
      else res.destroy();
    });
  });
  // A request Node's HTTP parser refuses (malformed, conflicting lengths, headers too large) gets
  // the API's JSON error and the security headers, like every other answer, not Node's bare 400.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'payload_too_large', 'The request headers are too large.']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'invalid_input', 'The request took too long to arrive.']
          : [400, 'invalid_input', 'The request is not valid HTTP.'];
    const body = JSON.stringify({ error: { code, message } });
    const headers = { ...securityHeaders, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Bad Request'}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxWsPayloadBytes });

  function refuse(socket: Duplex, status: number): void {
    const reason = http.STATUS_CODES[status] ?? 'Refused';
    // The security headers too: every answer of the gateway carries them.
    const headers = Object.entries(securityHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(`HTTP/1.1 ${status} ${reason}\r\n${headers}Connection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://local');
    } catch {
      return refuse(socket, 400);
    }
    if (url.pathname !== '/ws') return refuse(socket, 404);
    // API Gateway connection ids look like this: 12 random bytes, base64.
    const connectionId = randomBytes(12).toString('base64').replace(/[+/]/g, 'A');
    const ip = sourceIp(req);
    const baseContext = { connectionId, identity: { sourceIp: ip } };
    const connectEvent: WsEvent = {
      requestContext: { ...baseContext, routeKey: '$connect', eventType: 'CONNECT', requestId: randomUUID() },
      headers: eventHeaders(req),
      queryStringParameters: queryParams(url.searchParams) ?? null,
    };
    wsEntry('$connect')(connectEvent)
      .then((result) => {
        if (result.statusCode !== 200) return refuse(socket, result.statusCode);
        wss.handleUpgrade(req, socket, head, (ws) => {
          const now = Date.now();
          sockets.set(connectionId, { ws, connectedAt: now, sourceIp: ip, lastActiveAt: now });
          ws.on('message', (data, isBinary) => {
            const s = sockets.get(connectionId);
            if (s !== undefined) s.lastActiveAt = Date.now();
            const body = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
            const event: WsEvent = {
              requestContext: { ...baseContext, routeKey: '$default', eventType: 'MESSAGE', requestId: randomUUID() },
              body: isBinary ? body.toString('base64') : body.toString('utf8'),
              isBase64Encoded: isBinary,
            };
            wsEntry('$default')(event).catch((err: unknown) => log({ level: 'ERROR', msg: 'ws $default failed', error: String(err) }));
          });
          ws.on('error', () => undefined);
          ws.on('close', () => {
            sockets.delete(connectionId);
            const event: WsEvent = { requestContext: { ...baseContext, routeKey: '$disconnect', eventType: 'DISCONNECT', requestId: randomUUID() } };
            wsEntry('$disconnect')(event).catch((err: unknown) => log({ level: 'ERROR', msg: 'ws $disconnect failed', error: String(err) }));
          });
        });
      })
      .catch((err: unknown) => {
        log({ level: 'ERROR', msg: 'ws $connect failed', error: String(err) });
        refuse(socket, 500);
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  origin = `http://${opts.host}:${port}`;
  securityHeaders = buildSecurityHeaders(origin);

  return {
    url: origin,
    port,
    connectionCount: () => sockets.size,
    scheduledTimers: () => scheduler.size(),
    async close() {
      scheduler.close();
      for (const { ws } of sockets.values()) ws.terminate();
      sockets.clear();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
