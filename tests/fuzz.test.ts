// Hostile input, generated (fast-check), against the real local stack over the wire: every HTTP
// route of functions/routes.ts (read at run time, so a new route is fuzzed without touching this
// file) and every WebSocket action, with random and malformed bodies, wrong types, huge and
// unicode strings, SQL and script payloads in every field, wrong methods and paths, missing and
// duplicated headers, and bad tokens. Never a 5xx; every API error is `{error:{code,message}}`
// JSON with no stack; a refused request stores nothing; the audit stays empty.
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRoutes, type HttpRoute } from '../functions/routes';
import { rawRequest, type RawResponse } from './faults/support/raw-http';
import { api } from './support/client';
import { startTestStack, type TestStack } from './support/stack';

// A long period: nothing falls due while fuzzing, so every row written is one a request wrote.
const periodMs = 600_000;
const adminEmail = `fuzz-admin-${Date.now()}@example.com`;
const errorCodes = [
  'invalid_input',
  'payload_too_large',
  'email_taken',
  'invalid_credentials',
  'rate_limited',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'insufficient_credits',
  'session_active',
  'no_active_session',
  'payment_declined',
  'idempotency_conflict',
];

let stack: TestStack;
let client: ReturnType<typeof api>;
const tokens = { user: '', admin: '', revoked: '', orphan: '', email: '', password: 'fuzz password 1' };
let victimId = '';
/** Routes that answer without a token (found by asking, so a new route is classified too). */
const publicRoutes = new Set<HttpRoute>();
const counts = { http: 0, raw: 0, wsFrames: 0, wsHandshakes: 0, byStatus: new Map<number, number>(), refusedWrites: 0 };

beforeAll(async () => {
  stack = await startTestStack({ periodMs, tickMs: 50, env: { ADMIN_EMAILS: adminEmail, LOG_LEVEL: process.env.FUZZ_LOG_LEVEL ?? 'SILENT' } });
  client = api(stack.url);
  const user = await client.signup(undefined, tokens.password);
  tokens.user = user.token;
  tokens.email = user.email;
  tokens.admin = (await client.signup(adminEmail, tokens.password)).token;
  const revoked = await client.signup();
  await client.call('POST', '/api/auth/logout', { token: revoked.token });
  tokens.revoked = revoked.token;
  const orphan = await client.signup();
  await stack.sql.query(`DELETE FROM credit_logs WHERE user_id = $1`, [orphan.user.id]);
  await stack.sql.query(`DELETE FROM users WHERE id = $1`, [orphan.user.id]);
  tokens.orphan = orphan.token;
  victimId = (await client.signup()).user.id;
  for (const route of httpRoutes) {
    const r = await client.call(route.method, route.path, route.method === 'GET' ? {} : { body: {} });
    if (r.status !== 401) publicRoutes.add(route);
  }
  // The unauthenticated surface, for the report: health, signup, login, the pack catalogue.
  console.log(`[fuzz] routes without a token: ${[...publicRoutes].map((r) => `${r.method} ${r.path}`).join(', ')}`);
});

afterAll(async () => {
  const total = counts.http + counts.raw + counts.wsFrames + counts.wsHandshakes;
  console.log(
    `[fuzz] ${total} generated inputs: ${counts.http} HTTP requests over ${httpRoutes.length} routes, ${counts.raw} raw requests (malformed HTTP, path traversal), ` +
      `${counts.wsFrames} WebSocket frames, ${counts.wsHandshakes} WebSocket handshakes; statuses ${[...counts.byStatus.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}; ${counts.refusedWrites} refused requests checked to have stored nothing`,
  );
  await stack?.stop();
});

// ---------------------------------------------------------------------------------------------
// What must never happen

/** Everything a request could write, in one row: equal before and after a refused request. */
async function footprint(): Promise<string> {
  const { rows } = await stack.sql.query(
    `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT coalesce(sum(credits), 0) FROM users)::bigint AS credits,
            (SELECT count(*) FROM credit_logs)::int AS ledger, (SELECT count(*) FROM sessions)::int AS sessions,
            (SELECT count(*) FROM sessions WHERE is_active)::int AS active, (SELECT coalesce(sum(credits_consumed), 0) FROM sessions)::bigint AS consumed,
            (SELECT count(*) FROM revoked_tokens)::int AS revoked, (SELECT count(*) FROM purchases)::int AS purchases,
            (SELECT count(*) FROM admin_audit)::int AS admin_actions,
            (SELECT max(updated_at) FROM users)::text AS users_changed`,
  );
  return JSON.stringify(rows[0]);
}

const stackTrace = /\bat [\w.<>]+ \(|\.(ts|js|mjs):\d+:\d+|node_modules|Error: /;

function checkResponse(r: RawResponse, what: string, api: boolean, head = false): void {
  counts.byStatus.set(r.status, (counts.byStatus.get(r.status) ?? 0) + 1);
  expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBeGreaterThanOrEqual(100);
  expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBeLessThan(500);
  expect(r.text, what).not.toMatch(stackTrace);
  expect(r.ms, `${what} took ${r.ms} ms`).toBeLessThan(10_000);
  if (r.status >= 400 && api && !head) {
    expect(r.header('content-type'), what).toMatch(/^application\/json/);
    const body = JSON.parse(r.text) as { error?: { code?: unknown; message?: unknown } };
    expect(Object.keys(body), what).toEqual(['error']);
    expect(Object.keys(body.error ?? {}).sort(), what).toEqual(['code', 'message']);
    expect(errorCodes, `${what}: code ${String(body.error?.code)}`).toContain(body.error?.code);
    expect(typeof body.error?.message, what).toBe('string');
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

const sqlPayloads = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  "1; SELECT pg_sleep(10)--",
  "' UNION SELECT password_hash FROM users--",
  'admin@example.com\' --',
  '") OR ("1"="1',
  '$1',
  '%27%20OR%201%3D1',
  "'||(SELECT credits FROM users LIMIT 1)||'",
  '1)) OR ((1=1',
  '\\\'; COPY users TO \'/tmp/x\'; --',
];
const scriptPayloads = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)', '</script><svg onload=alert(1)>', '{{7*7}}${7*7}', '${jndi:ldap://x/a}'];
const unicodePayloads = ['\u0000', '\u202e\u202dabc', '\ufeff', '😀'.repeat(40), 'Ω≈ç√∫˜µ≤≥÷', 'a\u0301\u0301\u0301', '\ud800', '\udfff\ud800', '\r\n\r\nX-Injected: 1', 'ＡＢＣ＠ｅｘａｍｐｌｅ．ｃｏｍ'];
const hostile = fc.constantFrom(...sqlPayloads, ...scriptPayloads, ...unicodePayloads);

const hugeString = fc.constantFrom(2_000, 17_000, 70_000, 1_100_000).map((n) => 'x'.repeat(n));
const scalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary' }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme' }) },
  { weight: 4, arbitrary: hostile },
  { weight: 1, arbitrary: hugeString },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1, 2 ** 31, -(2 ** 31), 2 ** 53, Number.MAX_VALUE, 1e-7, 0.5) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.emailAddress() },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom('starter', 'pro', 'standard', 'STARTER') },
);
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }) },
);
const fieldNames = ['email', 'password', 'pack', 'idempotencyKey', 'userId', 'delta', 'reason', 'action', 'credits', 'isAdmin', '__proto__', 'constructor'];

/** A body shaped like a real one (known field names) with hostile values, or plain junk. */
const body: fc.Arbitrary<string | Buffer | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.dictionary(fc.constantFrom(...fieldNames), fieldValue, { maxKeys: 5 }).map((o) => JSON.stringify(o)) },
  {
    weight: 3,
    arbitrary: fc
      .record({ email: fc.oneof(fc.emailAddress(), hostile.map((h) => `${h}@example.com`), scalar), password: fc.oneof(fc.string({ minLength: 8, maxLength: 72 }), scalar) })
      .map((o) => JSON.stringify(o)),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ userId: fc.oneof(fc.uuid(), fc.constant('VICTIM'), scalar), delta: fc.oneof(fc.integer({ min: -5, max: 5 }), scalar), reason: fc.oneof(fc.string(), hostile) })
      .map((o) => JSON.stringify(o)),
  },
  { weight: 2, arbitrary: fc.record({ pack: fc.oneof(fc.constantFrom('starter', 'nope'), scalar), idempotencyKey: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/), scalar) }).map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.json() },
  { weight: 2, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.constantFrom('{"email": ', '[]', 'null', '"x"', '1e999', '{"__proto__":{"isAdmin":true}}', '['.repeat(15_000), '{"a":'.repeat(3_000)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

function jwtish(): fc.Arbitrary<string> {
  const part = fc.oneof(fc.json().map((j) => Buffer.from(j).toString('base64url')), fc.base64String().map((s) => s.replace(/=/g, '')), fc.string());
  return fc.tuple(part, part, part).map(([a, b, c]) => `${a}.${b}.${c}`);
}
const noneToken = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', jti: 'y', exp: 9e9, iat: 1, iss: 'minute-credits', aud: 'minute-credits' })).toString('base64url')}.`;

type TokenKind = 'none' | 'user' | 'admin' | 'revoked' | 'orphan' | 'garbage';
// Mostly good tokens, so that most requests get past authorization to the body and query.
const tokenChoice: fc.Arbitrary<{ kind: TokenKind; value: string }> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const, value: '' }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'user' as const, value: '' }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'admin' as const, value: '' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'revoked' as const, value: '' }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'orphan' as const, value: '' }) },
  {
    weight: 2,
    arbitrary: fc.oneof(fc.string(), jwtish(), fc.constant(noneToken), fc.constant('x'.repeat(5000)), hostile).map((value) => ({ kind: 'garbage' as const, value })),
  },
);
function tokenValue(t: { kind: TokenKind; value: string }): string {
  return t.kind === 'garbage' || t.kind === 'none' ? t.value : tokens[t.kind];
}

const authHeader = fc.oneof(
  { weight: 6, arbitrary: fc.constant('Bearer %s') },
  { weight: 1, arbitrary: fc.constantFrom('bearer %s', 'Bearer  %s', 'Token %s', '%s', 'Bearer %s, Bearer %s', 'Bearer', ' Bearer %s ') },
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json, text/html');
const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const queryValue = fc.oneof(fc.string(), hostile, fc.integer().map(String), fc.constantFrom('-1', '0', '1e3', '99999999999999999999', 'NaN', '', '%', '%00', '%ZZ'));
const queryKeys = ['cursor', 'limit', 'q', 'id', 'days', 'token', 'userId'];

/** A route with a path and method that may be right or wrong, and a query string. */
function target(route: HttpRoute): fc.Arbitrary<{ method: string; path: string; wrongPath: boolean }> {
  const path = fc.oneof(
    { weight: 10, arbitrary: fc.constant({ path: route.path, wrong: false }) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(`${route.path}/`, route.path.toUpperCase(), route.path.replace('/api/', '/api//'), `${route.path}/..`, `${route.path}%2F`, `${route.path}.json`, `/api/${'a/'.repeat(300)}`, '/api', '/api/', '/api/%00', '/api/..%2f..%2fetc/passwd')
        .map((p) => ({ path: p, wrong: true })),
    },
    { weight: 1, arbitrary: fc.webSegment().map((s) => ({ path: `/api/${s}`, wrong: true })) },
  );
  const method = fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 2, arbitrary: fc.constantFrom(...methods) });
  return fc.record({ method, p: path }).map(({ method: m, p }) => ({ method: m, path: p.path, wrongPath: p.wrong }));
}

const queryString = fc.option(fc.array(fc.tuple(fc.constantFrom(...queryKeys), queryValue), { maxLength: 3 }), { nil: undefined }).map((pairs) =>
  pairs === undefined || pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '?'))}`).join('&')}`,
);

const rarely = fc.integer({ min: 1, max: 10 }).map((n) => n === 1);

const httpCase = fc.constantFrom(...httpRoutes).chain((route) =>
  fc.record({
    route: fc.constant(route),
    target: target(route),
    query: queryString,
    token: tokenChoice,
    authFormat: authHeader,
    duplicateAuth: rarely,
    contentType: fc.option(contentType, { nil: undefined }),
    duplicateContentType: rarely,
    body,
    extraHeaders: fc.array(fc.tuple(fc.constantFrom('X-Forwarded-For', 'Origin', 'Cookie', 'Accept', 'X-Amzn-Trace-Id', 'Content-Encoding'), fc.oneof(fc.string(), hostile)), { maxLength: 3 }),
  }),
);

function headerSafe(v: string): string {
  // What a client library would put on the wire: no CR/LF (that is request splitting, tested raw), Latin-1.
  return v.replace(/[\r\n]/g, ' ').replace(/[^\x20-\xff]/g, '?');
}

// ---------------------------------------------------------------------------------------------

describe('generated requests to every HTTP route', () => {
  it('never answer 5xx, always answer errors as {error:{code,message}}, and store nothing they refuse', async () => {
    expect(httpRoutes.length).toBeGreaterThanOrEqual(8);
    await fc.assert(
      fc.asyncProperty(httpCase, async (c) => {
        const headers: Array<[string, string]> = [];
        const token = tokenValue(c.token);
        if (c.token.kind !== 'none') {
          const value = headerSafe(c.authFormat.replaceAll('%s', token));
          headers.push(['Authorization', value]);
          if (c.duplicateAuth) headers.push(['Authorization', `Bearer ${tokens.user}`]);
        }
        if (c.contentType !== undefined) {
          headers.push(['Content-Type', c.contentType]);
          if (c.duplicateContentType) headers.push(['Content-Type', 'text/html']);
        }
        for (const [k, v] of c.extraHeaders) headers.push([k, headerSafe(v)]);
        const bodyBytes = typeof c.body === 'string' ? c.body.replaceAll('"VICTIM"', JSON.stringify(victimId)) : c.body;
        const before = await footprint();
        const r = await rawRequest(stack.port, { method: c.target.method, target: `${c.target.path}${c.query}`, headers, body: bodyBytes }, { timeoutMs: 10_000 });
        counts.http += 1;
        const what = `${c.target.method} ${c.target.path}${c.query.slice(0, 80)} [${c.token.kind}] body ${String(bodyBytes).slice(0, 120)}`;
        const underApi = c.target.path === '/api' || c.target.path.startsWith('/api/');
        checkResponse(r, what, underApi, c.target.method === 'HEAD');
        if (c.target.method === 'OPTIONS') {
          // A CORS preflight: an empty answer, nothing run.
          expect(r.status, what).toBe(underApi ? 204 : 405);
          expect(await footprint()).toBe(before);
          return;
        }
        if (r.status >= 400) {
          expect(await footprint(), `${what} was refused (${r.status}) but changed the database`).toBe(before);
          counts.refusedWrites += 1;
        }
        // Anything accepted with a bad token, a wrong path or a wrong method is a hole.
        if (r.status < 300) {
          if (!publicRoutes.has(c.route) || c.target.wrongPath) {
            expect(['none', 'revoked', 'orphan', 'garbage'], `${what} accepted a bad token`).not.toContain(c.token.kind);
          }
          expect(c.target.wrongPath, `${what} answered ${r.status} on a wrong path`).toBe(false);
          expect(c.target.method, `${what} answered ${r.status} to a wrong method`).toBe(c.route.method);
        }
        if (c.route.path === '/api/auth/signup' && r.status === 201) {
          // What was stored is exactly the (normalised) input, however hostile.
          const created = JSON.parse(r.text) as { user: { id: string; email: string } };
          const sent = JSON.parse(String(bodyBytes)) as { email: string };
          const { rows } = await stack.sql.query(`SELECT email FROM users WHERE id = $1`, [created.user.id]);
          expect(rows[0]?.email).toBe(sent.email.trim().toLowerCase());
        }
        if (c.route.path === '/api/auth/logout' && r.status === 204 && (c.token.kind === 'user' || c.token.kind === 'admin')) {
          // A good token was logged out (as it should be): sign in again for the next cases.
          const email = c.token.kind === 'user' ? tokens.email : adminEmail;
          const again = await client.call<{ token: string }>('POST', '/api/auth/login', { body: { email, password: tokens.password } });
          expect(again.status).toBe(200);
          tokens[c.token.kind] = again.body.token;
        }
      }),
      { numRuns: 2200, endOnFailure: true },
    );
  }, 180_000);
});

describe('malformed HTTP on the wire', () => {
  it('is refused with a 4xx JSON error (or the connection closed), never a 5xx', async () => {
    const port = (): number => stack.port;
    const cases: Array<[string, Buffer]> = [
      ['two different Content-Length headers', Buffer.from(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\nConnection: close\r\n\r\n{"a":1}`)],
      ['Content-Length and Transfer-Encoding together', Buffer.from(`POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`)],
      ['a negative Content-Length', Buffer.from(`POST /api/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n`)],
      ['a bad chunk size', Buffer.from(`POST /api/auth/signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`)],
      ['a 2 MB chunked body', Buffer.concat([Buffer.from(`POST /api/auth/signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`), ...Array.from({ length: 32 }, () => Buffer.from(`10000\r\n${'a'.repeat(0x10000)}\r\n`)), Buffer.from('0\r\n\r\n')])],
      ['an unknown method', Buffer.from(`BREW /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
      ['a lower-case method', Buffer.from(`get /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
      ['a space in the path', Buffer.from(`GET /api/he alth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
      ['a header with no colon', Buffer.from(`GET /api/health HTTP/1.1\r\nHost: x\r\nBroken header\r\nConnection: close\r\n\r\n`)],
      ['a control character in a header', Buffer.from(`GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\nConnection: close\r\n\r\n`)],
      ['a bare LF line end', Buffer.from(`GET /api/health HTTP/1.1\nHost: x\nConnection: close\n\n`)],
      ['HTTP/0.9', Buffer.from(`GET /api/health\r\n\r\n`)],
      ['HTTP/2.0 on HTTP/1 framing', Buffer.from(`GET /api/health HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n`)],
      ['a 20 KB URL', Buffer.from(`GET /api/health?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
      ['100 KB of headers', Buffer.from(`GET /api/health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 100 }, (_, i) => `X-H${i}: ${'b'.repeat(1000)}\r\n`).join('')}Connection: close\r\n\r\n`)],
      ['an absolute-form target', Buffer.from(`GET http://evil.example/api/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`)],
      ['an asterisk target', Buffer.from(`OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
      ['no Host header', Buffer.from(`GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n`)],
      ['two Host headers', Buffer.from(`GET /api/health HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n`)],
      ['a request split in the header', Buffer.from(`GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\r\nGET /api/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
    ];
    for (const [name, bytes] of cases) {
      let r: RawResponse | null = null;
      try {
        r = await rawRequest(port(), bytes, { timeoutMs: 10_000 });
      } catch (err) {
        // A connection closed without a response is an acceptable refusal; a hang is not.
        expect(String(err), name).toMatch(/closed without a complete response/);
      }
      counts.raw += 1;
      if (r !== null) checkResponse(r, name, true);
    }
  });
});

describe('generated paths outside the API', () => {
  it('never serve a file from outside the site folder', async () => {
    const dot = fc.constantFrom('..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '..%00', '....', '..%c0%af', '..\\');
    const sep = fc.constantFrom('/', '%2f', '%2F', '%5c', '\\', '//');
    const target = fc
      .tuple(fc.constantFrom('', '/_next', '/_next/static', '/login', '/api'), fc.array(fc.tuple(dot, sep), { minLength: 1, maxLength: 8 }), fc.constantFrom('etc/passwd', 'package.json', '.data/jwt-secret', 'functions/config.ts', 'proc/self/environ'))
      .map(([prefix, ups, file]) => `${prefix}/${ups.map(([d, s]) => `${d}${s}`).join('')}${file}`);
    await fc.assert(
      fc.asyncProperty(target, async (t) => {
        const r = await rawRequest(stack.port, { method: 'GET', target: t }, { timeoutMs: 10_000 });
        counts.raw += 1;
        const resolved = new URL(t, 'http://local').pathname;
        checkResponse(r, t, resolved === '/api' || resolved.startsWith('/api/'));
        expect(r.status, t).toBeGreaterThanOrEqual(400);
        expect(r.text, t).not.toMatch(/root:x:0:0|"name": "minute-credits"|JWT_SECRET|process\.env/);
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});

describe('generated WebSocket traffic', () => {
  it('answers every frame with one session.update or {type:"error",error:{code,message}}, and keeps the socket', async () => {
    const open = (): Promise<{ ws: WebSocket; replies: string[] }> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${stack.wsUrl}?token=${encodeURIComponent(tokens.user)}`);
        const replies: string[] = [];
        ws.on('message', (d) => replies.push(String(d)));
        ws.on('open', () => resolve({ ws, replies }));
        ws.on('error', reject);
      });
    let conn = await open();
    const frame = fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(fc.constantFrom('action', 'type', 'sessionId', 'userId', 'token', '__proto__'), fieldValue, { maxKeys: 4 }).map((o) => JSON.stringify(o)) },
      { weight: 2, arbitrary: fc.record({ action: fc.oneof(fc.constant('status'), fc.constantFrom('STATUS', 'status ', 'start', 'stop', 'admin', 'sendmessage', '$default', '$connect'), hostile, scalar) }).map((o) => JSON.stringify(o)) },
      { weight: 2, arbitrary: fc.json() },
      { weight: 2, arbitrary: fc.string() },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)) },
      { weight: 1, arbitrary: fc.constantFrom(`{"action":"status","pad":"${'x'.repeat(5000)}"}`, 'x'.repeat(4097), '') },
      // Frames over the gateway's 128 KiB limit close the socket: tested once, below.
    ).filter((f) => Buffer.byteLength(f) <= 100_000);
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        const before = await footprint();
        const seen = conn.replies.length;
        conn.ws.send(f);
        const deadline = Date.now() + 10_000;
        while (conn.replies.length === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        counts.wsFrames += 1;
        expect(conn.replies.length, `no reply to ${String(f).slice(0, 100)}`).toBe(seen + 1);
        const reply = JSON.parse(conn.replies[seen] ?? '') as { type: string; error?: { code: string; message: string } };
        if (reply.type === 'error') {
          expect(Object.keys(reply.error ?? {}).sort()).toEqual(['code', 'message']);
          expect(['invalid_input', 'payload_too_large']).toContain(reply.error?.code);
        } else {
          expect(reply.type).toBe('session.update');
          expect(JSON.parse(String(f)).action).toBe('status');
        }
        expect(conn.ws.readyState).toBe(WebSocket.OPEN);
        expect(await footprint()).toBe(before);
      }),
      { numRuns: 400 },
    );
    // A frame over the gateway's limit (128 KiB) closes that socket (1009), and only that one.
    const closed = new Promise<number>((resolve) => conn.ws.once('close', (code) => resolve(code)));
    conn.ws.send('x'.repeat(200 * 1024));
    expect(await closed).toBe(1009);
    counts.wsFrames += 1;
    conn = await open();
    conn.ws.send('{"action":"status"}');
    await new Promise((r) => setTimeout(r, 300));
    expect(JSON.parse(conn.replies[0] ?? '{}').type).toBe('session.update');
    conn.ws.close();
  }, 120_000);

  it('refuses every handshake with a bad token, path or Origin (never 101, never 5xx)', async () => {
    const handshake = fc.record({
      path: fc.constantFrom('/ws', '/ws/', '/WS', '/ws/x', '/api/ws', '/'),
      token: tokenChoice,
      secondToken: fc.boolean(),
      origins: fc.array(fc.oneof(fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1', `http://127.0.0.1:${stack.port}.evil.example`, `HTTP://127.0.0.1:${stack.port}`), fc.webUrl().map((u) => new URL(u).origin), hostile), { maxLength: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(handshake, async (h) => {
        const token = tokenValue(h.token);
        const query = h.token.kind === 'none' ? '' : `?token=${encodeURIComponent(token.replace(/[\ud800-\udfff]/g, '?'))}${h.secondToken ? `&token=${encodeURIComponent(tokens.user)}` : ''}`;
        const headers: Array<[string, string]> = [
          ['Upgrade', 'websocket'],
          ['Connection', 'Upgrade'],
          ['Sec-WebSocket-Key', Buffer.from('0123456789abcdef').toString('base64')],
          ['Sec-WebSocket-Version', '13'],
          ...h.origins.map((o): [string, string] => ['Origin', headerSafe(o)]),
        ];
        const r = await rawRequest(stack.port, { method: 'GET', target: `${h.path}${query}`, headers }, { timeoutMs: 10_000, headOnly: true });
        counts.wsHandshakes += 1;
        counts.byStatus.set(r.status, (counts.byStatus.get(r.status) ?? 0) + 1);
        expect(r.status).toBeLessThan(500);
        const ownOrigin = h.origins.length === 0 || (h.origins.length === 1 && h.origins[0]?.toLowerCase() === `http://127.0.0.1:${stack.port}`);
        const goodToken = (h.token.kind === 'user' || h.token.kind === 'admin') && !h.secondToken;
        if (r.status === 101) {
          expect(h.path, 'upgraded on a wrong path').toBe('/ws');
          expect(goodToken && ownOrigin, `upgraded with token ${h.token.kind}, origins ${JSON.stringify(h.origins)}`).toBe(true);
        } else if (h.path === '/ws') {
          expect([401, 403]).toContain(r.status);
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});

describe('after the fuzzing', () => {
  it('the ledger audit is empty', async () => {
    const { auditLedger } = await import('../functions/core/audit');
    expect(await auditLedger(periodMs)).toEqual([]);
  });
});
