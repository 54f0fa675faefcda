// A local Upstash REST endpoint in front of a real Redis (DESIGN.md, "One machine"): the
// handlers always speak Upstash's REST protocol through @upstash/redis, in the cloud and here.
// It is a command-agnostic translator with Upstash's routes, encodings, status codes and
// error shapes, as Upstash's own emulator (serverless-redis-http) has them:
//   POST /            one command as a JSON array           -> 200 {result} | 400 {error}
//   POST /pipeline    an array of commands                  -> 200 [{result} | {error}, …]
//   POST /multi-exec  the same, in one MULTI/EXEC           -> 200 [{result} | {error}, …] | 400 {error}
//   GET|POST /cmd/arg/…  a command in the path; a POST body is its last argument (binary-safe)
// Missing or wrong token: 401 {"error":"Unauthorized"}. Body over the limit: 413. Redis
// unreachable: 500 {error}. With `Upstash-Encoding: base64` every string in a result is
// base64 (binary-safe) except a bare top-level "OK"; integers stay numbers, nil is null.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis, ReplyError } from 'ioredis';

export interface UpstashBridgeOptions {
  redisUrl: string;
  token: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Largest request body accepted; default 10 MB. */
  maxBodyBytes?: number;
}

export interface UpstashBridge {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Arg = string | Buffer;
type Command = [name: string, ...args: Arg[]];
type Reply = Buffer | string | number | null | Error | Reply[];
type Entry = { result: unknown } | { error: string };

interface Answer {
  status: number;
  body: unknown;
}

const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const CLOSE_GRACE_MS = 1_000;
const MAX_IDLE_ISOLATED = 4;
const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT']);

// Commands that change or depend on the state of their connection. A REST request is its own
// session, so a request holding one of these runs on a connection of its own, closed after.
const STATEFUL_COMMANDS = new Set([
  'ASKING', 'AUTH', 'CLIENT', 'DISCARD', 'EXEC', 'HELLO', 'MONITOR', 'MULTI', 'PSUBSCRIBE', 'PSYNC',
  'PUNSUBSCRIBE', 'QUIT', 'READONLY', 'READWRITE', 'REPLCONF', 'RESET', 'SELECT', 'SSUBSCRIBE',
  'SUBSCRIBE', 'SUNSUBSCRIBE', 'SYNC', 'UNSUBSCRIBE', 'UNWATCH', 'WATCH',
]);
// Commands that can block their connection: they must not stall the shared one.
const BLOCKING_COMMANDS = new Set([
  'BLMOVE', 'BLMPOP', 'BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BZMPOP', 'BZPOPMAX', 'BZPOPMIN', 'WAIT', 'WAITAOF',
  'XREAD', 'XREADGROUP',
]);

export async function startUpstashBridge(opts: UpstashBridgeOptions): Promise<UpstashBridge> {
  if (opts.token.length === 0) throw new Error('startUpstashBridge: token must not be empty');
  const redis = createRedisGateway(opts.redisUrl);
  const context: RequestContext = {
    redis,
    tokenDigest: digest(opts.token),
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, (req, res) => {
    void serveRequest(req, res, context);
  });
  const host = opts.host ?? '127.0.0.1';
  let address: AddressInfo;
  try {
    address = await listen(server, opts.port ?? 0, host);
  } catch (error) {
    await redis.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    port: address.port,
    close() {
      closing ??= closeServer(server).then(() => redis.close());
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface RequestContext {
  redis: RedisGateway;
  tokenDigest: Buffer;
  maxBodyBytes: number;
}

async function serveRequest(req: IncomingMessage, res: ServerResponse, context: RequestContext): Promise<void> {
  try {
    const answer = await answerRequest(req, context);
    sendJson(res, answer.status, answer.body, answer.status === 413);
  } catch (error) {
    if (error instanceof ClientGoneError) return;
    logError('upstash bridge request failed', error);
    sendJson(res, 500, { error: 'ERR internal error in the Upstash bridge' }, false);
  }
}

async function answerRequest(req: IncomingMessage, context: RequestContext): Promise<Answer> {
  const method = req.method ?? 'GET';
  if (!ALLOWED_METHODS.has(method)) return failure(405, 'Method Not Allowed');
  const { pathname, queryToken } = splitUrl(req.url ?? '/');
  if (!isAuthorized(req, queryToken, context.tokenDigest)) return failure(401, 'Unauthorized');
  const body = await readBody(req, context.maxBodyBytes);
  if (body === TOO_LARGE) return failure(413, `ERR request body is larger than ${context.maxBodyBytes} bytes`);
  const encode = wantsBase64(req) ? encodeBase64 : encodeText;
  if (pathname === '/pipeline' || pathname === '/multi-exec') {
    if (method !== 'POST' && method !== 'PUT') return failure(405, 'Method Not Allowed');
    const commands = parseCommandList(body);
    if (typeof commands === 'string') return failure(400, commands);
    return pathname === '/pipeline'
      ? answerPipeline(context.redis, commands, encode)
      : answerTransaction(context.redis, commands, encode);
  }
  const command = pathname === '/' ? parseCommand(body) : pathCommand(pathname, body, method);
  if (typeof command === 'string') return failure(400, command);
  return answerCommand(context.redis, command, encode);
}

async function answerCommand(redis: RedisGateway, command: Command, encode: Encoder): Promise<Answer> {
  try {
    return { status: 200, body: { result: encode(await redis.run(command), true) } };
  } catch (error) {
    return failure(isReplyError(error) ? 400 : 500, errorText(error));
  }
}

async function answerPipeline(redis: RedisGateway, commands: Command[], encode: Encoder): Promise<Answer> {
  try {
    const settled = await redis.runPipeline(commands);
    return { status: 200, body: settled.map((reply) => toEntry(reply, encode)) };
  } catch (error) {
    return failure(500, errorText(error));
  }
}

async function answerTransaction(redis: RedisGateway, commands: Command[], encode: Encoder): Promise<Answer> {
  try {
    const replies = await redis.runTransaction(commands);
    // EXEC answers nil when a WATCHed key changed: the transaction did not run.
    if (replies === null) return failure(400, 'EXECABORT Transaction discarded because a watched key changed.');
    return { status: 200, body: replies.map((reply) => toEntry(reply, encode)) };
  } catch (error) {
    return failure(isReplyError(error) ? 400 : 500, errorText(error));
  }
}

function toEntry(reply: Reply, encode: Encoder): Entry {
  return reply instanceof Error ? { error: reply.message } : { result: encode(reply, true) };
}

function failure(status: number, message: string): Answer {
  return { status, body: { error: message } };
}

function errorText(error: unknown): string {
  if (isReplyError(error)) return error.message;
  const detail = error instanceof Error ? error.message : String(error);
  return `ERR the Upstash bridge could not reach Redis: ${detail}`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, closeConnection: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...(closeConnection ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

function splitUrl(url: string): { pathname: string; queryToken: string | null } {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return { pathname: url, queryToken: null };
  return { pathname: url.slice(0, queryAt), queryToken: new URLSearchParams(url.slice(queryAt + 1)).get('_token') };
}

// Upstash takes the token as `Authorization: Bearer …` or as the `_token` query parameter.
function isAuthorized(req: IncomingMessage, queryToken: string | null, expectedDigest: Buffer): boolean {
  const header = req.headers.authorization;
  const candidate = header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : queryToken;
  if (candidate === null || candidate.length === 0) return false;
  // Equal-length digests make the comparison constant-time whatever the candidate's length.
  return timingSafeEqual(digest(candidate), expectedDigest);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function wantsBase64(req: IncomingMessage): boolean {
  const encoding = req.headers['upstash-encoding'];
  return typeof encoding === 'string' && encoding.toLowerCase() === 'base64';
}

const TOO_LARGE = Symbol('too large');

/** The client hung up before its request body arrived: there is no one to answer. */
class ClientGoneError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      resolve(TOO_LARGE);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, size)));
    req.once('error', () => reject(new ClientGoneError()));
    req.once('close', () => {
      if (!req.complete) reject(new ClientGoneError());
    });
  });
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Requests still running (a blocking command, say) get a moment, then their sockets go.
  const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  await closed;
  clearTimeout(timer);
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Request bodies to commands

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A command, or the error message for a malformed one. */
function parseCommand(body: Buffer): Command | string {
  if (body.length === 0) return 'ERR empty command: send a JSON array such as ["GET","key"]';
  return toCommand(parseJson(body));
}

function parseCommandList(body: Buffer): Command[] | string {
  const parsed = parseJson(body);
  if (!Array.isArray(parsed)) return 'ERR invalid pipeline: send a JSON array of command arrays';
  const commands: Command[] = [];
  for (const item of parsed) {
    const command = toCommand(item);
    if (typeof command === 'string') return command;
    commands.push(command);
  }
  return commands;
}

function toCommand(value: unknown): Command | string {
  if (!Array.isArray(value) || value.length === 0) {
    return 'ERR invalid command: send a non-empty JSON array of strings and numbers';
  }
  const parts: string[] = [];
  for (const part of value) {
    if (typeof part === 'string') parts.push(part);
    else if (typeof part === 'number' || typeof part === 'boolean') parts.push(String(part));
    else return 'ERR invalid command: arguments must be strings or numbers';
  }
  const [name, ...args] = parts as [string, ...string[]];
  return [name.toUpperCase(), ...args];
}

// `/set/key/value`; segments are URL-decoded; a POST or PUT body is the last argument, byte for byte.
function pathCommand(pathname: string, body: Buffer, method: string): Command | string {
  const segments = pathname.split('/').slice(1);
  if (segments.at(-1) === '') segments.pop();
  let parts: string[];
  try {
    parts = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return 'ERR invalid command: the path is not valid URL encoding';
  }
  const [name, ...args] = parts;
  if (name === undefined || name === '') return 'ERR empty command: put it in the path (/get/key) or POST a JSON array to /';
  const withBody: Arg[] = (method === 'POST' || method === 'PUT') && body.length > 0 ? [...args, body] : args;
  return [name.toUpperCase(), ...withBody];
}

// ---------------------------------------------------------------------------------------------
// Replies to Upstash's JSON

type Encoder = (reply: Reply, topLevel: boolean) => unknown;

// @upstash/redis decodes every string in a base64 result except a top-level "OK".
function encodeBase64(reply: Reply, topLevel: boolean): unknown {
  if (Buffer.isBuffer(reply)) return topLevel && isOk(reply) ? 'OK' : reply.toString('base64');
  if (typeof reply === 'string') return topLevel && reply === 'OK' ? 'OK' : Buffer.from(reply).toString('base64');
  if (Array.isArray(reply)) return reply.map((item) => encodeBase64(item, false));
  return encodeScalar(reply, encodeBase64);
}

function encodeText(reply: Reply): unknown {
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'string') return reply;
  if (Array.isArray(reply)) return reply.map((item) => encodeText(item));
  return encodeScalar(reply, encodeText);
}

function encodeScalar(reply: number | null | Error, encode: Encoder): unknown {
  if (reply === null || typeof reply === 'number') return reply;
  // An error nested in an array reply (a Lua table, say) travels as its message.
  return encode(reply.message, false);
}

function isOk(buffer: Buffer): boolean {
  return buffer.length === 2 && buffer[0] === 0x4f && buffer[1] === 0x4b;
}

// ---------------------------------------------------------------------------------------------
// Redis

interface RedisGateway {
  /** One command; rejects with a ReplyError when Redis answers an error. */
  run(command: Command): Promise<Reply>;
  /** Commands in order on one connection; each settles to its reply or its ReplyError. */
  runPipeline(commands: Command[]): Promise<Reply[]>;
  /** MULTI, the commands, EXEC: EXEC's array (errors inside), or null when aborted by WATCH. */
  runTransaction(commands: Command[]): Promise<Reply[] | null>;
  close(): Promise<void>;
}

interface Lease {
  client: Redis;
  release(): void;
}

function createRedisGateway(redisUrl: string): RedisGateway {
  const shared = connect(redisUrl, { shared: true });
  const idle: Redis[] = [];
  const isolated = new Set<Redis>();

  // An idle connection that lost Redis meanwhile is dropped, not handed out.
  const takeIdle = (): Redis | undefined => {
    for (let client = idle.pop(); client !== undefined; client = idle.pop()) {
      if (client.status === 'ready') return client;
      isolated.delete(client);
      client.disconnect();
    }
    return undefined;
  };

  const lease = (commands: Command[]): Lease => {
    const route = routeOf(commands);
    if (route === 'shared') return { client: shared, release: () => undefined };
    const client = (route === 'blocking' ? takeIdle() : undefined) ?? connect(redisUrl, { shared: false });
    isolated.add(client);
    const release = (): void => {
      if (route === 'blocking' && idle.length < MAX_IDLE_ISOLATED && client.status === 'ready') {
        idle.push(client);
        return;
      }
      isolated.delete(client);
      client.disconnect();
    };
    return { client, release };
  };

  const withLease = async <T>(commands: Command[], work: (client: Redis) => Promise<T>): Promise<T> => {
    const { client, release } = lease(commands);
    try {
      return await work(client);
    } finally {
      release();
    }
  };

  return {
    run: (command) => withLease([command], (client) => send(client, command)),
    runPipeline: (commands) => withLease(commands, (client) => sendPipeline(client, commands)),
    runTransaction: (commands) => withLease(commands, (client) => sendTransaction(client, commands)),
    async close() {
      for (const client of isolated) client.disconnect();
      if (shared.status !== 'ready') return shared.disconnect();
      await shared.quit().catch(() => shared.disconnect());
    },
  };
}

function routeOf(commands: Command[]): 'shared' | 'blocking' | 'stateful' {
  let route: 'shared' | 'blocking' = 'shared';
  for (const [name] of commands) {
    if (STATEFUL_COMMANDS.has(name)) return 'stateful';
    if (BLOCKING_COMMANDS.has(name)) route = 'blocking';
  }
  return route;
}

function connect(redisUrl: string, { shared }: { shared: boolean }): Redis {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectionName: 'upstash-bridge',
    // Upstash answers in RESP2 shapes (flat WITHSCORES arrays, no maps); ioredis 6 defaults to RESP3.
    protocol: 2,
    // A command cut off by a lost connection fails rather than being sent twice.
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: shared ? 2 : 0,
    // The shared connection reconnects; a connection of one request does not.
    retryStrategy: shared ? (attempt) => Math.min(attempt * 100, 2_000) : () => null,
  });
  watchErrors(client, shared);
  return client;
}

function watchErrors(client: Redis, shared: boolean): void {
  let reported = false;
  client.on('error', (error: unknown) => {
    // Requests see the failure in their answers; the log gets one line per outage.
    if (!shared || reported) return;
    reported = true;
    logError('upstash bridge lost its Redis connection', error);
  });
  client.on('ready', () => {
    reported = false;
  });
}

// Names are sent upper-case, so ioredis applies none of its per-command reply transformers
// (it would turn HGETALL into an object): replies reach the encoder as Redis sent them.
function send(client: Redis, [name, ...args]: Command): Promise<Reply> {
  return client.callBuffer(name, ...args) as Promise<Reply>;
}

function sendPipeline(client: Redis, commands: Command[]): Promise<Reply[]> {
  // Issued in one synchronous burst: in order, back to back on the connection.
  const pending = commands.map((command) => send(client, command).catch(keepReplyError));
  return Promise.all(pending);
}

async function sendTransaction(client: Redis, commands: Command[]): Promise<Reply[] | null> {
  // MULTI … EXEC are written back to back, so no other request's command can fall inside.
  const queued = [send(client, ['MULTI']), ...commands.map((command) => send(client, command))];
  const exec = send(client, ['EXEC']);
  // A command refused while queuing makes EXEC fail with EXECABORT, which is the answer.
  for (const reply of queued) reply.catch(() => undefined);
  const result = await exec;
  return Array.isArray(result) ? result : null;
}

/** An error Redis answered (WRONGTYPE, NOSCRIPT, …), as opposed to a failure to reach it. */
function isReplyError(error: unknown): error is Error {
  return error instanceof (ReplyError as new () => Error);
}

function keepReplyError(error: unknown): Reply {
  if (isReplyError(error)) return error;
  throw error;
}

function logError(msg: string, error: unknown): void {
  const detail = error instanceof Error ? error.message : String(error);
  console.error(JSON.stringify({ level: 'ERROR', msg, error: detail }));
}
