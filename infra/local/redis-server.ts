// Starts a real redis-server for the local stack and the tests (DESIGN.md, "One machine").
// Redis has no prebuilt binary on npm, so this runs the machine's own package (Debian's
// redis-server or Homebrew's redis) as a child process that dies with its parent.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';

export interface RedisServerOptions {
  /** TCP port; a free one is picked when absent. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Folder for Redis's files; with `persist`, the AOF lives here. */
  dataDir?: string;
  /** Keep data across restarts (needs `dataDir`); default false: nothing is written to disk. */
  persist?: boolean;
  /** The redis-server executable; default: found on PATH, then in the usual install folders. */
  binary?: string;
}

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const REDIS_SERVER_MISSING_MESSAGE =
  "redis-server was not found: install Debian's redis-server: apt-get install redis-server, " +
  "or Homebrew's redis (brew install redis), or set REDIS_URL to use a Redis you already run";

// PATH first; then the usual install locations, for shells whose PATH lacks them (Homebrew).
const BINARY_CANDIDATES = ['redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'];
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 25;
const PORT_ATTEMPTS = 3;
const LOG_TAIL_CHARS = 2_000;

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  if (opts.persist && !opts.dataDir) throw new Error('startRedisServer: persist needs a dataDir to keep the data in');
  const host = opts.host ?? '127.0.0.1';
  const attempts = opts.port === undefined ? PORT_ATTEMPTS : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = opts.port ?? (await findFreePort(host));
    try {
      return await startOnPort({ ...opts, host, port });
    } catch (error) {
      // A picked port can be taken between the probe and redis-server's bind: pick again.
      if (!(error instanceof PortInUseError)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

async function startOnPort(opts: RedisServerOptions & { host: string; port: number }): Promise<RedisServer> {
  const args = await buildServerArgs(opts);
  const child = await spawnFirstAvailable(opts.binary === undefined ? BINARY_CANDIDATES : [opts.binary], args);
  const log = captureOutput(child);
  const killOnParentExit = (): void => {
    child.kill('SIGTERM');
  };
  process.on('exit', killOnParentExit);
  const exited = waitForExit(child);
  try {
    await waitUntilReady(child, opts.port, opts.host, exited, log);
  } catch (error) {
    process.off('exit', killOnParentExit);
    await stopChild(child, exited);
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://${formatHost(opts.host)}:${opts.port}`,
    port: opts.port,
    stop() {
      stopping ??= stopChild(child, exited).finally(() => process.off('exit', killOnParentExit));
      return stopping;
    },
  };
}

async function buildServerArgs(opts: RedisServerOptions & { host: string; port: number }): Promise<string[]> {
  const args = ['--port', String(opts.port), '--bind', opts.host, '--daemonize', 'no', '--loglevel', 'warning'];
  if (opts.persist && opts.dataDir !== undefined) {
    const dir = path.resolve(opts.dataDir);
    await mkdir(dir, { recursive: true });
    // Append-only file, fsynced every second: a dev restart keeps what was written.
    return [...args, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''];
  }
  return [...args, '--save', '', '--appendonly', 'no'];
}

function spawnFirstAvailable(candidates: string[], args: string[]): Promise<ChildProcess> {
  const [binary, ...rest] = candidates;
  if (binary === undefined) return Promise.reject(new Error(REDIS_SERVER_MISSING_MESSAGE));
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('spawn', () => resolve(child));
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') resolve(spawnFirstAvailable(rest, args));
      else reject(error);
    });
  });
}

interface OutputTail {
  text(): string;
}

function captureOutput(child: ChildProcess): OutputTail {
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { text: () => tail.trim() };
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitUntilReady(child: ChildProcess, port: number, host: string, exited: Promise<void>, log: OutputTail): Promise<void> {
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const deadlineMs = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadlineMs) {
    if (hasExited) throw startFailure(port, log.text());
    if ((await answeringPid(host, port)) === child.pid) return;
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`redis-server on port ${port} did not answer within ${READY_TIMEOUT_MS} ms. ${log.text()}`);
}

function startFailure(port: number, logText: string): Error {
  if (/address already in use/i.test(logText)) {
    return new PortInUseError(`redis-server could not bind port ${port}: address already in use`);
  }
  return new Error(`redis-server exited before it was ready on port ${port}: ${logText || 'no output'}`);
}

/**
 * Asks whoever listens on the port for its process id (INFO server), so a server that was
 * already there is never mistaken for ours. Null while unreachable or loading.
 */
function answeringPid(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const finish = (pid: number | null): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1_000, () => finish(null));
    socket.once('error', () => finish(null));
    socket.once('connect', () => socket.write('*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.startsWith('-')) return finish(null);
      const match = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (match?.[1] !== undefined) finish(Number(match[1]));
    });
    socket.once('end', () => finish(null));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
