// Accounts and tokens: bcryptjs at 12 rounds, jose HS256 JWTs (24 h, `sub` = user id, `jti`),
// revocation (PostgreSQL is the truth, Redis a cache) and rate limits on logins and signups.
import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { comparePassword, hashPassword as hashWithBcrypt } from '../adapters/password-hasher';
import { config } from '../config';
import { AppError } from './errors';
import { cacheRevokedToken, isRevokedInCache, limiter } from './limits';
import * as store from './store';

export const tokenLifetimeS = 24 * 60 * 60;
const issuer = 'minute-credits';
const audience = 'minute-credits';

let secretKey: Promise<CryptoKey> | undefined;

// Imported once as a CryptoKey: given raw bytes, jose imports them again on every sign and
// verify, which costs twice the HMAC itself (docs/BENCHMARKS.md: about 9,000 → 25,000 verifies/s).
async function loadKey(): Promise<CryptoKey> {
  const c = config();
  let secret = c.jwtSecret;
  if (secret === undefined && c.jwtSecretArn !== undefined) {
    const { loadSecretJson } = await import('../adapters/secrets');
    secret = (await loadSecretJson(c.jwtSecretArn)).secret;
  }
  if (secret === undefined) {
    throw new Error(`Invalid configuration: JWT_SECRET (or JWT_SECRET_ARN) is required${c.nodeEnv === 'production' ? ' when NODE_ENV=production' : ''}`);
  }
  if (Buffer.byteLength(secret) < 32) throw new Error('Invalid configuration: JWT_SECRET must be at least 32 bytes');
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

function key(): Promise<CryptoKey> {
  secretKey ??= loadKey().catch((err: unknown) => {
    secretKey = undefined;
    throw err;
  });
  return secretKey;
}

// ---------------------------------------------------------------------------------------------
// Input

const emailSchema = z
  .string({ error: 'Email is required.' })
  .max(320, { error: 'Email is too long.' })
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.email({ error: 'Enter a valid email address.' }).max(254, { error: 'Email is too long.' }));

const passwordSchema = z
  .string({ error: 'Password is required.' })
  .refine((s) => Buffer.byteLength(s, 'utf8') >= 8, { error: 'Password must be at least 8 characters.' })
  .refine((s) => Buffer.byteLength(s, 'utf8') <= 72, { error: 'Password must be at most 72 bytes.' });

export const credentialsSchema = z.strictObject({ email: emailSchema, password: passwordSchema });
export type Credentials = z.infer<typeof credentialsSchema>;

// ---------------------------------------------------------------------------------------------
// Passwords

// Compared against when the email is unknown, so both failures take about the same time.
let dummyHash: Promise<string> | undefined;
function getDummyHash(): Promise<string> {
  dummyHash ??= hashWithBcrypt(randomUUID(), config().bcryptRounds);
  return dummyHash;
}

export function hashPassword(password: string): Promise<string> {
  return hashWithBcrypt(password, config().bcryptRounds);
}

// ---------------------------------------------------------------------------------------------
// Tokens

export interface TokenClaims {
  readonly userId: string;
  readonly jti: string;
  readonly expiresAtMs: number;
}

export async function issueToken(userId: string, nowMs: number): Promise<{ token: string; claims: TokenClaims }> {
  const jti = randomUUID();
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + tokenLifetimeS;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setJti(jti)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(await key());
  return { token, claims: { userId, jti, expiresAtMs: exp * 1000 } };
}

// Tokens this process has verified, by their exact text: the same bytes verify the same way
// until they expire, so a warm function (or the local stack) checks a device's token once, not
// on every request. Only successes are kept, each until its exp (after that it is verified again);
// revocation and the user's existence are still checked on every request (readAccount).
const verifiedCacheSize = 10_000;
const verified = new Map<string, TokenClaims>();

/** Verifies signature, algorithm and claims. Throws `unauthorized` for any bad token. */
export async function verifyToken(token: string | undefined, nowMs: number): Promise<TokenClaims> {
  if (token === undefined || token.length === 0 || token.length > 4096) {
    throw new AppError('unauthorized', 'Sign in to continue.');
  }
  const known = verified.get(token);
  if (known !== undefined) {
    if (nowMs < known.expiresAtMs) return known;
    verified.delete(token);
  }
  const claims = await verifyTokenText(token, nowMs);
  if (verified.size >= verifiedCacheSize) verified.delete(verified.keys().next().value as string);
  verified.set(token, claims);
  return claims;
}

async function verifyTokenText(token: string, nowMs: number): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(token, await key(), {
      algorithms: ['HS256'],
      issuer,
      audience,
      requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      currentDate: new Date(nowMs),
      clockTolerance: 5,
      maxTokenAge: tokenLifetimeS + 5,
    });
    const { sub, jti, exp } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') {
      throw new AppError('unauthorized', 'Your session is not valid. Please sign in again.');
    }
    return { userId: sub, jti, expiresAtMs: exp * 1000 };
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JOSEError) {
      const expired = err instanceof joseErrors.JWTExpired;
      throw new AppError('unauthorized', expired ? 'Your session has expired. Please sign in again.' : 'Your session is not valid. Please sign in again.');
    }
    throw err;
  }
}

/** A verified token whose user exists and which is not revoked, with the account it opens. */
export async function authenticate(token: string | undefined, nowMs: number): Promise<{ claims: TokenClaims; account: store.Account }> {
  const claims = await verifyToken(token, nowMs);
  const account = await store.readAccount(claims.userId, claims.jti);
  if (account === null) throw new AppError('unauthorized', 'This account no longer exists.');
  if (account.revoked) throw new AppError('unauthorized', 'You have signed out. Please sign in again.');
  return { claims, account };
}

/**
 * For the WebSocket handshake: the Redis cache refuses a revoked token without touching
 * PostgreSQL; the database still decides for the rest (the cache may have been emptied).
 */
export async function authenticateConnection(token: string | undefined, nowMs: number): Promise<TokenClaims> {
  const claims = await verifyToken(token, nowMs);
  if (await isRevokedInCache(claims.jti)) throw new AppError('unauthorized', 'You have signed out. Please sign in again.');
  const user = await store.getUser(claims.userId);
  if (user === null) throw new AppError('unauthorized', 'This account no longer exists.');
  if (await store.isTokenRevoked(claims.jti)) {
    await cacheRevokedToken(claims.jti, claims.expiresAtMs, nowMs);
    throw new AppError('unauthorized', 'You have signed out. Please sign in again.');
  }
  return claims;
}

// ---------------------------------------------------------------------------------------------
// Use cases

export async function signup(input: Credentials, clientAddress: string, nowMs: number): Promise<{ token: string; user: store.UserRecord }> {
  const c = config();
  const byAddress = await limiter('signup:address', c.signupMaxPerAddress, c.signupWindowS).limit(clientAddress);
  if (!byAddress.allowed) {
    throw new AppError('rate_limited', 'Too many sign-ups from this address. Try again later.', { retryAfterS: byAddress.retryAfterS });
  }
  const passwordHash = await hashPassword(input.password);
  const user = await store.createUser(input.email, passwordHash, c.signupCredits);
  const { token } = await issueToken(user.id, nowMs);
  return { token, user };
}

export async function login(input: Credentials, clientAddress: string, nowMs: number): Promise<{ token: string; user: store.UserRecord }> {
  const c = config();
  const byEmail = limiter('login:email', c.loginMaxFailuresPerEmail, c.loginWindowS);
  const byAddress = limiter('login:address', c.loginMaxFailuresPerAddress, c.loginWindowS);
  const [emailState, addressState] = await Promise.all([byEmail.peek(input.email), byAddress.peek(clientAddress)]);
  const blocked = [emailState, addressState].filter((s) => !s.allowed);
  if (blocked.length > 0) {
    const retryAfterS = Math.max(...blocked.map((s) => s.retryAfterS));
    throw new AppError('rate_limited', 'Too many failed sign-in attempts. Try again later.', { retryAfterS });
  }
  const found = await store.findUserForLogin(input.email);
  const hash = found?.passwordHash ?? (await getDummyHash());
  const ok = await comparePassword(input.password, hash);
  if (found === null || !ok) {
    await Promise.all([byEmail.limit(input.email), byAddress.limit(clientAddress)]);
    throw new AppError('invalid_credentials', 'The email or password is incorrect.');
  }
  const { token } = await issueToken(found.id, nowMs);
  return { token, user: { id: found.id, email: found.email, credits: found.credits } };
}

export async function logout(claims: TokenClaims, nowMs: number): Promise<void> {
  await store.revokeToken(claims.jti, claims.userId, claims.expiresAtMs);
  // Best effort: the database already refuses the token everywhere.
  await cacheRevokedToken(claims.jti, claims.expiresAtMs, nowMs).catch(() => undefined);
}

export function isAdmin(email: string): boolean {
  return config().adminEmails.includes(email.toLowerCase());
}
