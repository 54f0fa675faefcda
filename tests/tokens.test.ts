// Tokens and accounts, as an attacker would try them: forged, confused, stale and stolen tokens
// on HTTP and on the WebSocket handshake; login and signup floods from one address and against
// one email; oversized bodies; and the password hash's cost. The stack runs with bcrypt at its
// production cost (12) and small rate limits; each test signs up from its own loopback address
// (127.0.0.x), so the per-address limits of one test do not leak into another.
import { createHmac, randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../functions/config';
import { rawRequest, requestFrom, type JsonResponse } from './faults/support/raw-http';
import { startTestStack, type TestStack } from './support/stack';
import { refusedStatus } from './support/ws-client';

const periodMs = 100;
const password = 'correct horse battery staple';
let stack: TestStack;
let nextAddress = 10;
/** A loopback source address no other test used: a fresh "client" for the rate limits. */
const freshAddress = (): string => `127.0.0.${nextAddress++}`;

beforeAll(async () => {
  stack = await startTestStack({
    periodMs,
    tickMs: 50,
    env: { SIGNUP_MAX_PER_ADDRESS: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '4', BCRYPT_ROUNDS: '12' },
  });
});
afterAll(async () => stack?.stop());
afterEach(async () => {
  const { auditLedger } = await import('../functions/core/audit');
  expect(await auditLedger(periodMs)).toEqual([]);
});

const call = (method: string, path: string, opts: { token?: string; body?: unknown } = {}, from = '127.0.0.1'): Promise<JsonResponse> =>
  requestFrom(stack.url, from, method, path, opts);

async function signup(from: string, email = `tok-${randomUUID()}@example.com`): Promise<{ token: string; userId: string; email: string }> {
  const r = await call('POST', '/api/auth/signup', { body: { email, password } }, from);
  if (r.status !== 201) throw new Error(`signup: ${r.status} ${JSON.stringify(r.body)}`);
  return { token: r.body.token, userId: r.body.user.id, email };
}

const login = (email: string, pw: string, from: string): Promise<JsonResponse> => call('POST', '/api/auth/login', { body: { email, password: pw } }, from);

const secret = (): Uint8Array => new TextEncoder().encode(process.env.JWT_SECRET ?? '');
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const nowS = (): number => Math.floor(Date.now() / 1000);

/** Claims exactly like the server's own tokens, with `overrides` applied (undefined removes one). */
function claims(sub: string, overrides: Partial<Record<keyof JWTPayload, unknown>> = {}): JWTPayload {
  const base: Record<string, unknown> = { sub, jti: randomUUID(), iss: 'minute-credits', aud: 'minute-credits', iat: nowS(), nbf: nowS(), exp: nowS() + 3600 };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base as JWTPayload;
}

const signHs256 = (payload: JWTPayload, key: Uint8Array = secret()): Promise<string> => new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);

/** HS256 by hand, for headers jose will not sign (an unknown `crit` extension). */
function handSigned(header: Record<string, unknown>, payload: JWTPayload): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret()).update(input).digest('base64url')}`;
}

/** Each token must be refused: 401 on HTTP (read and write), 401 at the WebSocket handshake, nothing started. */
async function expectRefused(name: string, token: string, userId: string): Promise<void> {
  const profile = await call('GET', '/api/user/profile', { token });
  expect(profile.status, `${name}: profile`).toBe(401);
  expect(profile.body.error.code, name).toBe('unauthorized');
  const start = await call('POST', '/api/session/start', { token });
  expect(start.status, `${name}: start`).toBe(401);
  expect(await refusedStatus(stack.wsUrl, token), `${name}: WebSocket`).toBe(401);
  const { rows } = await stack.sql.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1`, [userId]);
  expect(rows[0].n, `${name}: a session was started`).toBe(0);
}

describe('forged, confused and stale tokens', () => {
  it('refuses every one on HTTP and at the WebSocket handshake, and accepts the real one', async () => {
    const u = await signup(freshAddress());
    const other = await signup(freshAddress());
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const publicPem = await exportSPKI(publicKey);
    const [realHeader, realPayload, realSignature] = u.token.split('.');
    const attackerSecret = new TextEncoder().encode('an attacker secret, long enough for HS256!!');

    const cases: Array<[string, string]> = [
      ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(u.userId))}.`],
      ['alg none, the real signature kept', `${b64({ alg: 'none', typ: 'JWT' })}.${realPayload}.${realSignature}`],
      ['alg "None"', `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims(u.userId))}.`],
      ['RS256 signed with an attacker key pair', await new SignJWT(claims(u.userId)).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)],
      ['RS256 with the attacker public key embedded (jwk header)', await new SignJWT(claims(u.userId)).setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(publicKey) }).sign(privateKey)],
      ['HS256 keyed with the public key PEM (HS/RS confusion)', await signHs256(claims(u.userId), new TextEncoder().encode(publicPem))],
      ['HS256 with a wrong key', await signHs256(claims(u.userId), attackerSecret)],
      ['HS512 with the right key (algorithm not allowed)', await new SignJWT(claims(u.userId)).setProtectedHeader({ alg: 'HS512' }).sign(secret())],
      ['the real token with its payload swapped for another user', `${realHeader}.${b64({ ...JSON.parse(Buffer.from(realPayload ?? '', 'base64url').toString()), sub: other.userId })}.${realSignature}`],
      ['the real token with its signature cut', `${realHeader}.${realPayload}.`],
      ['expired an hour ago', await signHs256(claims(u.userId, { iat: nowS() - 7200, nbf: nowS() - 7200, exp: nowS() - 3600 }))],
      ['not valid before an hour from now (nbf)', await signHs256(claims(u.userId, { nbf: nowS() + 3600, exp: nowS() + 7200 }))],
      ['issued in the future (iat)', await signHs256(claims(u.userId, { iat: nowS() + 3600, nbf: undefined, exp: nowS() + 7200 }))],
      ['older than 24 h though not expired', await signHs256(claims(u.userId, { iat: nowS() - 30 * 3600, nbf: nowS() - 30 * 3600, exp: nowS() + 3600 }))],
      ['missing sub', await signHs256(claims(u.userId, { sub: undefined }))],
      ['missing jti', await signHs256(claims(u.userId, { jti: undefined }))],
      ['missing exp', await signHs256(claims(u.userId, { exp: undefined }))],
      ['missing iat', await signHs256(claims(u.userId, { iat: undefined }))],
      ['a wrong issuer', await signHs256(claims(u.userId, { iss: 'someone-else' }))],
      ['a wrong audience', await signHs256(claims(u.userId, { aud: 'another-app' }))],
      ['no issuer or audience', await signHs256(claims(u.userId, { iss: undefined, aud: undefined }))],
      ['sub not a user id (SQL)', await signHs256(claims("' OR '1'='1"))],
      ['sub of no user', await signHs256(claims(randomUUID()))],
      ['sub as a number', await signHs256(claims(u.userId, { sub: 42 }))],
      ['an unknown critical header, right key', handSigned({ alg: 'HS256', typ: 'JWT', crit: ['x-unknown'], 'x-unknown': 1 }, claims(u.userId))],
      ['garbage', 'not.a.token'],
      ['a 5 000-character token', `${'a'.repeat(2000)}.${'b'.repeat(2000)}.${'c'.repeat(1000)}`],
    ];
    for (const [name, token] of cases) await expectRefused(name, token, u.userId);

    // The hand signing is right: the same claims without `crit` are accepted.
    expect((await call('GET', '/api/user/profile', { token: handSigned({ alg: 'HS256', typ: 'JWT' }, claims(u.userId)) })).status).toBe(200);
    // The real token, on both paths.
    expect((await call('GET', '/api/user/profile', { token: u.token })).status).toBe(200);
    expect(await refusedStatus(stack.wsUrl, u.token)).toBe(101);
    console.log(`[tokens] ${cases.length} forged, confused or stale tokens refused on HTTP (read and write) and at the WebSocket handshake`);
  });

  it('refuses the token of a deleted user, on HTTP and WebSocket', async () => {
    const u = await signup(freshAddress());
    await stack.sql.query(`DELETE FROM credit_logs WHERE user_id = $1`, [u.userId]);
    await stack.sql.query(`DELETE FROM users WHERE id = $1`, [u.userId]);
    expect((await call('GET', '/api/user/profile', { token: u.token })).status).toBe(401);
    expect((await call('POST', '/api/session/start', { token: u.token })).status).toBe(401);
    expect(await refusedStatus(stack.wsUrl, u.token)).toBe(401);
  });

  it('refuses a revoked (logged-out) token on HTTP and WebSocket, and closes nothing else', async () => {
    const u = await signup(freshAddress());
    const second = await login(u.email, password, freshAddress());
    expect(second.status).toBe(200);
    expect(await refusedStatus(stack.wsUrl, u.token)).toBe(101);
    expect((await call('POST', '/api/auth/logout', { token: u.token })).status).toBe(204);
    for (const [method, path] of [['GET', '/api/user/profile'], ['GET', '/api/session/status'], ['POST', '/api/session/start'], ['POST', '/api/auth/logout']] as const) {
      expect((await call(method, path, { token: u.token })).status, `${method} ${path}`).toBe(401);
    }
    expect(await refusedStatus(stack.wsUrl, u.token)).toBe(401);
    // The other device's token is another token: it still works.
    expect((await call('GET', '/api/user/profile', { token: second.body.token })).status).toBe(200);
    expect(await refusedStatus(stack.wsUrl, second.body.token)).toBe(101);
  });
});

describe('rate limits', () => {
  it('limits failed logins per address (4), whatever the emails, with 429 and Retry-After', async () => {
    const victim = await signup(freshAddress());
    const attacker = freshAddress();
    for (let i = 0; i < 4; i += 1) {
      const r = await login(`nobody-${i}-${randomUUID()}@example.com`, 'wrong password!', attacker);
      expect(r.status).toBe(401);
    }
    // Even the right password is refused from that address now…
    const limited = await login(victim.email, password, attacker);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // …and accepted from another one.
    expect((await login(victim.email, password, freshAddress())).status).toBe(200);
  });

  it('counts the connection\'s address, not a forged X-Forwarded-For', async () => {
    const attacker = freshAddress();
    for (let i = 0; i < 4; i += 1) {
      const r = await requestFrom(stack.url, attacker, 'POST', '/api/auth/login', {
        body: { email: `nobody-${randomUUID()}@example.com`, password: 'wrong password!' },
        headers: { 'x-forwarded-for': `10.0.0.${i}`, 'x-real-ip': `10.0.1.${i}`, forwarded: `for=10.0.2.${i}` },
      });
      expect(r.status).toBe(401);
    }
    const limited = await requestFrom(stack.url, attacker, 'POST', '/api/auth/login', {
      body: { email: `nobody-${randomUUID()}@example.com`, password: 'wrong password!' },
      headers: { 'x-forwarded-for': '10.9.9.9' },
    });
    expect(limited.status).toBe(429);
  });

  it('limits failed logins per email (5), whatever the addresses', async () => {
    const victim = await signup(freshAddress());
    for (let i = 0; i < 5; i += 1) {
      const r = await login(victim.email, 'wrong password!', freshAddress());
      expect(r.status).toBe(401);
    }
    const limited = await login(victim.email, password, freshAddress());
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another account is not affected.
    const other = await signup(freshAddress());
    expect((await login(other.email, password, freshAddress())).status).toBe(200);
  });

  it('limits signups per address (3), stores nothing beyond, and takes an email once', async () => {
    const from = freshAddress();
    const emails = Array.from({ length: 4 }, () => `flood-${randomUUID()}@example.com`);
    for (const email of emails.slice(0, 3)) expect((await call('POST', '/api/auth/signup', { body: { email, password } }, from)).status).toBe(201);
    const limited = await call('POST', '/api/auth/signup', { body: { email: emails[3], password } }, from);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const { rows } = await stack.sql.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [emails[3]]);
    expect(rows[0].n).toBe(0);
    // Another address may sign up; the same email from any address is one account.
    const again = await Promise.all([freshAddress(), freshAddress(), freshAddress()].map((a) => call('POST', '/api/auth/signup', { body: { email: emails[0], password } }, a)));
    expect(again.map((r) => r.status)).toEqual([409, 409, 409]);
    const { rows: same } = await stack.sql.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [emails[0]]);
    expect(same[0].n).toBe(1);
  });
});

describe('passwords and bodies', () => {
  it('hashes passwords with bcrypt at cost 12 by default', async () => {
    expect(parseConfig({}).bcryptRounds).toBe(12);
    const u = await signup(freshAddress());
    const { rows } = await stack.sql.query(`SELECT password_hash FROM users WHERE id = $1`, [u.userId]);
    expect(rows[0].password_hash).toMatch(/^\$2b\$12\$[./A-Za-z0-9]{53}$/);
    expect(rows[0].password_hash).not.toContain(password);
  });

  it('limits request bodies: 413 over 16 KiB at the handler, over 1 MiB at the gateway, chunked or not', async () => {
    const from = freshAddress();
    const medium = await call('POST', '/api/auth/signup', { body: { email: `big-${randomUUID()}@example.com`, password: 'x'.repeat(17_000) } }, from);
    expect(medium.status).toBe(413);
    expect(medium.body.error.code).toBe('payload_too_large');
    const huge = await rawRequest(stack.port, { method: 'POST', target: '/api/auth/login', headers: [['Content-Type', 'application/json']], body: `{"email":"${'a'.repeat(2 * 1024 * 1024)}"}` });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.text).error.code).toBe('payload_too_large');
    const chunk = `100000\r\n${'a'.repeat(0x100000)}\r\n`;
    const chunked = await rawRequest(
      stack.port,
      Buffer.from(`POST /api/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk}${chunk}0\r\n\r\n`),
    );
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text).error.code).toBe('payload_too_large');
    // The WebSocket: a frame over 4 KiB gets an error message, one over 128 KiB closes the socket.
    const u = await signup(from);
    const ws = new WebSocket(`${stack.wsUrl}?token=${encodeURIComponent(u.token)}`);
    const replies: string[] = [];
    ws.on('message', (d) => replies.push(String(d)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ action: 'status', pad: 'x'.repeat(5000) }));
    await new Promise((r) => setTimeout(r, 300));
    expect(JSON.parse(replies[0] ?? '{}')).toEqual({ type: 'error', error: { code: 'payload_too_large', message: expect.any(String) } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(200 * 1024));
    expect(await closed).toBe(1009);
  });
});
