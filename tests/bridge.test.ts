// The local Upstash REST bridge, against a real redis-server started by our launcher, driven
// by the real @upstash/redis and @upstash/ratelimit clients (and by raw HTTP where the wire
// format itself is the behaviour).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../infra/local/redis-server';
import { startUpstashBridge, type UpstashBridge } from '../infra/local/upstash-bridge';

const TOKEN = 'bridge-test-token';
let redisServer: RedisServer;
let bridge: UpstashBridge;
/** One HTTP request per command: exercises `POST /`. */
let direct: Redis;
/** The client as the product builds it: concurrent commands go out as `POST /pipeline`. */
let pipelined: Redis;

function client(opts: { token?: string; enableAutoPipelining: boolean }): Redis {
  return new Redis({
    url: bridge.url,
    token: opts.token ?? TOKEN,
    enableTelemetry: false,
    enableAutoPipelining: opts.enableAutoPipelining,
    retry: false,
  });
}

interface RawAnswer {
  status: number;
  body: unknown;
}

async function post(route: string, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await fetch(`${bridge.url}${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  redisServer = await startRedisServer();
  bridge = await startUpstashBridge({ redisUrl: redisServer.url, token: TOKEN });
  direct = client({ enableAutoPipelining: false });
  pipelined = client({ enableAutoPipelining: true });
});

afterAll(async () => {
  await bridge?.close();
  await redisServer?.stop();
});

beforeEach(async () => {
  await direct.flushall();
});

describe('plain commands through @upstash/redis', () => {
  it('sets, reads, increments and deletes keys', async () => {
    expect(await direct.set('greeting', 'hello')).toBe('OK');
    expect(await direct.get('greeting')).toBe('hello');
    expect(await direct.incr('counter')).toBe(1);
    expect(await direct.incrby('counter', 41)).toBe(42);
    expect(await direct.del('greeting', 'counter')).toBe(2);
    expect(await direct.get('greeting')).toBeNull();
  });

  it('sets expiries that Redis enforces', async () => {
    await direct.set('short', 'lived', { px: 50 });
    expect(await direct.pttl('short')).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await direct.exists('short')).toBe(0);
  });

  it('returns a hash as an object from HGETALL', async () => {
    await direct.hset('user:1', { name: 'Ada', credits: 100 });
    expect(await direct.hgetall('user:1')).toEqual({ name: 'Ada', credits: 100 });
  });

  it('keeps unicode values intact', async () => {
    const text = 'crédits · 日本語 · 🎉 · \u0000 nul';
    await direct.set('unicode', text);
    expect(await direct.get('unicode')).toBe(text);
    expect(await pipelined.get('unicode')).toBe(text);
  });

  it('stores JSON values and reads them back as objects', async () => {
    const value = { userId: 'u-1', credits: 90, tags: ['a', 'b'], nested: { ok: true } };
    await direct.set('json', value);
    expect(await direct.get('json')).toEqual(value);
  });

  it('keeps the billing schedule in a sorted set: ZADD, then ZRANGE BYSCORE with LIMIT', async () => {
    await direct.zadd('schedule', { score: 3000, member: 's3' }, { score: 1000, member: 's1' }, { score: 2000, member: 's2' });
    await direct.zadd('schedule', { score: 9000, member: 'later' });
    const due = await direct.zrange<string[]>('schedule', 0, 2500, { byScore: true, offset: 0, count: 10 });
    expect(due).toEqual(['s1', 's2']);
    const firstDue = await direct.zrange<string[]>('schedule', '-inf', '+inf', { byScore: true, offset: 0, count: 1 });
    expect(firstDue).toEqual(['s1']);
    const withScores = await direct.zrange('schedule', 0, 2500, { byScore: true, withScores: true });
    expect(withScores).toEqual(['s1', 1000, 's2', 2000]);
    expect(await direct.zscore('schedule', 'later')).toBe(9000);
  });
});

describe('errors surface as the client\'s errors', () => {
  it('rejects a command against the wrong type with WRONGTYPE', async () => {
    await direct.hset('a-hash', { f: 'v' });
    await expect(direct.incr('a-hash')).rejects.toThrow(/WRONGTYPE/);
    await expect(pipelined.incr('a-hash')).rejects.toThrow(/WRONGTYPE/);
  });

  it('rejects an unknown command', async () => {
    await expect(direct.exec(['NOSUCHCOMMAND', 'x'])).rejects.toThrow(/unknown command/i);
  });

  it('answers a failed command with 400 and {error}', async () => {
    const answer = await post('/', ['NOSUCHCOMMAND']);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: expect.stringMatching(/^ERR unknown command/) });
  });
});

describe('pipelines', () => {
  it('run commands in order and return each result', async () => {
    const results = await direct.pipeline().set('p', 1).incr('p').incr('p').get('p').exec();
    expect(results).toEqual(['OK', 2, 3, 3]);
  });

  it('report a failing command in its own slot while the others run', async () => {
    await direct.set('text', 'abc');
    const results = await direct.pipeline().incr('n').incr('text').incr('n').exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual([1, undefined, 2]);
    expect(results[1]?.error).toMatch(/not an integer/);
  });

  it('throw the client\'s error for a failing command unless errors are kept', async () => {
    await direct.set('text', 'abc');
    await expect(direct.pipeline().incr('text').exec()).rejects.toThrow(/Command 1 \[ incr \] failed/);
  });

  it('answer 200 with [{result} | {error}] on the wire', async () => {
    const answer = await post('/pipeline', [['SET', 'k', 'v'], ['INCR', 'k'], ['GET', 'k'], ['GET', 'missing']]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([
      { result: 'OK' },
      { error: 'ERR value is not an integer or out of range' },
      { result: 'v' },
      { result: null },
    ]);
  });

  it('carry many concurrent commands of an auto-pipelining client correctly', async () => {
    const count = 500;
    const increments = Array.from({ length: count }, () => pipelined.incr('concurrent'));
    const writes = Array.from({ length: count }, (_, i) => pipelined.set(`key:${i}`, `value-${i}`));
    const settled = await Promise.all([...increments, ...writes]);
    expect(new Set(settled.slice(0, count))).toEqual(new Set(Array.from({ length: count }, (_, i) => i + 1)));
    const reads = await Promise.all(Array.from({ length: count }, (_, i) => pipelined.get(`key:${i}`)));
    expect(reads).toEqual(Array.from({ length: count }, (_, i) => `value-${i}`));
    expect(await direct.get('concurrent')).toBe(count);
  });
});

describe('multi() transactions', () => {
  it('run their commands together and return every result', async () => {
    const results = await direct.multi().set('t', 10).incrby('t', 5).get('t').exec();
    expect(results).toEqual(['OK', 15, 15]);
  });

  it('are not interleaved with concurrent commands', async () => {
    const transactions = Array.from({ length: 50 }, () => direct.multi().incr('pair:a').incr('pair:b').mget('pair:a', 'pair:b').exec());
    const all = await Promise.all(transactions);
    for (const [a, b, [readA, readB]] of all as [number, number, [number, number]][]) {
      expect(a).toBe(b);
      expect(readA).toBe(readB);
    }
  });

  it('surface a runtime error as the client\'s error, as Redis runs the other commands', async () => {
    await direct.set('text', 'abc');
    await expect(direct.multi().incr('text').incr('after').exec()).rejects.toThrow(/Command 1 \[ incr \] failed: ERR value is not an integer/);
    expect(await direct.get('after')).toBe(1);
  });

  it('are discarded with 400 EXECABORT when a command is refused while queuing', async () => {
    const answer = await post('/multi-exec', [['SET', 'never', '1'], ['NOSUCHCOMMAND']]);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: expect.stringMatching(/^EXECABORT/) });
    expect(await direct.exists('never')).toBe(0);
  });
});

describe('scripts', () => {
  const script = "redis.call('INCRBY', KEYS[1], ARGV[1]); return {redis.call('GET', KEYS[1]), ARGV[2]}";

  it('run with EVAL', async () => {
    expect(await direct.eval(script, ['scripted'], [5, 'tag'])).toEqual([5, 'tag']);
  });

  it('load with SCRIPT LOAD and run with EVALSHA', async () => {
    const sha = await direct.scriptLoad(script);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await direct.evalsha(sha, ['scripted'], [2, 'again'])).toEqual([2, 'again']);
    expect(await direct.scriptExists(sha)).toEqual([1]);
  });

  it('answer NOSCRIPT for an unknown sha, which clients use to fall back to EVAL', async () => {
    await expect(direct.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });
});

describe('@upstash/ratelimit through the bridge', () => {
  it('allows a sliding window\'s limit, refuses the next request and reports what remains', async () => {
    const ratelimit = new Ratelimit({
      redis: pipelined,
      limiter: Ratelimit.slidingWindow(3, '10 s'),
      prefix: 'test-ratelimit',
      ephemeralCache: false,
    });
    expect((await ratelimit.getRemaining('user-1')).remaining).toBe(3);
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await ratelimit.limit('user-1'));
    expect(answers.map((a) => a.success)).toEqual([true, true, true, false]);
    expect(answers[0]?.remaining).toBe(2);
    const remaining = await ratelimit.getRemaining('user-1');
    expect(remaining.remaining).toBe(0);
    expect(remaining.reset).toBeGreaterThan(Date.now());
    expect((await ratelimit.limit('user-2')).success).toBe(true);
  });
});

describe('authentication', () => {
  it('refuses a wrong token with 401 Unauthorized, through the client and on the wire', async () => {
    await expect(client({ token: 'wrong', enableAutoPipelining: false }).get('x')).rejects.toThrow(/Unauthorized/);
    await expect(client({ token: 'wrong', enableAutoPipelining: true }).get('x')).rejects.toThrow(/Unauthorized/);
    const answer = await post('/', ['GET', 'x'], { Authorization: `Bearer ${TOKEN}x` });
    expect(answer).toEqual({ status: 401, body: { error: 'Unauthorized' } });
  });

  it('refuses a request without a token', async () => {
    const res = await fetch(`${bridge.url}/get/x`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized' });
  });

  it('accepts the token as the _token query parameter, as Upstash does', async () => {
    await direct.set('q', 'by-query');
    const res = await fetch(`${bridge.url}/get/q?_token=${TOKEN}`);
    expect(await res.json()).toEqual({ result: 'by-query' });
  });
});

describe('wire format', () => {
  it('base64-encodes every string when asked, except a bare top-level OK', async () => {
    const headers = { 'Upstash-Encoding': 'base64' };
    expect((await post('/', ['SET', 'k', 'OK'], headers)).body).toEqual({ result: 'OK' });
    expect((await post('/', ['GET', 'k'], headers)).body).toEqual({ result: 'OK' });
    expect((await post('/', ['PING'], headers)).body).toEqual({ result: Buffer.from('PONG').toString('base64') });
    expect((await post('/', ['RPUSH', 'l', 'OK', 'é'], headers)).body).toEqual({ result: 2 });
    expect((await post('/', ['LRANGE', 'l', 0, -1], headers)).body).toEqual({
      result: [Buffer.from('OK').toString('base64'), Buffer.from('é').toString('base64')],
    });
    expect((await post('/', ['GET', 'missing'], headers)).body).toEqual({ result: null });
  });

  it('answers arrays as Redis 2 protocol does: HGETALL and ZRANGE WITHSCORES flat', async () => {
    await direct.hset('h', { f: 'v' });
    await direct.zadd('z', { score: 1.5, member: 'm' });
    expect((await post('/', ['HGETALL', 'h'])).body).toEqual({ result: ['f', 'v'] });
    expect((await post('/', ['ZRANGE', 'z', 0, -1, 'WITHSCORES'])).body).toEqual({ result: ['m', '1.5'] });
  });

  it('keeps binary values byte for byte (path command with a raw body, base64 reply)', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const stored = await fetch(`${bridge.url}/set/binary`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: bytes });
    expect(await stored.json()).toEqual({ result: 'OK' });
    const read = await fetch(`${bridge.url}/get/binary`, { headers: { Authorization: `Bearer ${TOKEN}`, 'Upstash-Encoding': 'base64' } });
    const { result } = (await read.json()) as { result: string };
    expect(Buffer.from(result, 'base64').equals(bytes)).toBe(true);
    expect(await direct.strlen('binary')).toBe(256);
  });

  it('runs commands given in the path, URL-decoded', async () => {
    const res = await fetch(`${bridge.url}/set/${encodeURIComponent('a/b c')}/${encodeURIComponent('v ü')}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await res.json()).toEqual({ result: 'OK' });
    expect(await direct.get('a/b c')).toBe('v ü');
  });

  it('answers 400 for a body that is not a command', async () => {
    expect(await post('/', 'not json')).toEqual({ status: 400, body: { error: expect.stringMatching(/^ERR invalid command/) } });
    expect((await post('/pipeline', { set: 1 })).status).toBe(400);
  });

  it('answers 405 for methods Upstash does not allow', async () => {
    const res = await fetch(`${bridge.url}/get/x`, { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(405);
  });

  it('answers 413 for a body over the limit', async () => {
    const small = await startUpstashBridge({ redisUrl: redisServer.url, token: TOKEN, maxBodyBytes: 1024 });
    try {
      const res = await fetch(`${small.url}/`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(['SET', 'big', 'x'.repeat(2048)]),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/larger than 1024 bytes/) });
    } finally {
      await small.close();
    }
  });
});

describe('connection-bound commands', () => {
  it('run a blocking command without stalling other requests', async () => {
    const startedMs = Date.now();
    const blocked = direct.exec<[string, string] | null>(['BLPOP', 'queue', '1']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await direct.set('meanwhile', 'fast')).toBe('OK');
    const whileBlockedMs = Date.now() - startedMs;
    await direct.rpush('queue', 'job');
    expect(await blocked).toEqual(['queue', 'job']);
    expect(whileBlockedMs).toBeLessThan(500);
  });

  it('keep SELECT to the request that sent it', async () => {
    const answer = await post('/pipeline', [['SELECT', '1'], ['SET', 'elsewhere', 'db1'], ['GET', 'elsewhere']]);
    expect(answer.body).toEqual([{ result: 'OK' }, { result: 'OK' }, { result: 'db1' }]);
    expect(await direct.get('elsewhere')).toBeNull();
  });
});

describe('when Redis goes away', () => {
  it('answers 500 with {error} while Redis is down and recovers when it is back', async () => {
    const server = await startRedisServer();
    const local = await startUpstashBridge({ redisUrl: server.url, token: TOKEN });
    const viaLocal = new Redis({ url: local.url, token: TOKEN, enableTelemetry: false, enableAutoPipelining: false, retry: false });
    try {
      expect(await viaLocal.set('before', 1)).toBe('OK');
      await server.stop();
      const res = await fetch(`${local.url}/get/before`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/could not reach Redis/) });
      const again = await startRedisServer({ port: server.port });
      try {
        expect(await viaLocal.set('after', 2)).toBe('OK');
      } finally {
        await again.stop();
      }
    } finally {
      await local.close();
      await server.stop();
    }
  });
});

describe('the redis-server launcher', () => {
  it('starts a server on a free port that answers, and stops it', async () => {
    const server = await startRedisServer();
    const local = await startUpstashBridge({ redisUrl: server.url, token: TOKEN });
    const viaLocal = new Redis({ url: local.url, token: TOKEN, enableTelemetry: false, retry: false });
    expect(await viaLocal.ping()).toBe('PONG');
    await local.close();
    await server.stop();
    await server.stop();
    const refused = await fetch(`http://127.0.0.1:${server.port}`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
  });

  it('names the fix when redis-server is not installed', async () => {
    await expect(startRedisServer({ binary: '/nonexistent/redis-server' })).rejects.toThrow(
      "install Debian's redis-server: apt-get install redis-server, or Homebrew's redis",
    );
  });

  it('refuses a port that is taken', async () => {
    await expect(startRedisServer({ port: redisServer.port })).rejects.toThrow(/already in use/);
  });

  it('keeps data across restarts when persisting into a data folder', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-redis-'));
    try {
      const first = await startRedisServer({ dataDir, persist: true });
      const firstBridge = await startUpstashBridge({ redisUrl: first.url, token: TOKEN });
      await new Redis({ url: firstBridge.url, token: TOKEN, enableTelemetry: false }).set('durable', 'yes');
      await firstBridge.close();
      await first.stop();

      const second = await startRedisServer({ dataDir, persist: true });
      const secondBridge = await startUpstashBridge({ redisUrl: second.url, token: TOKEN });
      expect(await new Redis({ url: secondBridge.url, token: TOKEN, enableTelemetry: false }).get('durable')).toBe('yes');
      await secondBridge.close();
      await second.stop();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
