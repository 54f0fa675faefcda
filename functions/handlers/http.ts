// The one wrapper every HTTP handler goes through: API Gateway HTTP API (payload v2) event in,
// v2 result out; body parsing with a size limit; bearer authorization; AppError → status and
// `{error:{code,message}}`; anything else → a logged 500 `internal` with no detail; one JSON log
// line per request.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { isUnavailable } from '../adapters/pg';
import { config } from '../config';
import { authenticate, type TokenClaims } from '../core/auth';
import { AppError, statusOf, type ErrorCode } from '../core/errors';
import { log } from '../core/log';
import type { Account } from '../core/store';

export const maxBodyBytes = 16 * 1024;

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly requestId: string;
  readonly sourceIp: string;
  readonly nowMs: number;
  header(name: string): string | undefined;
  /** The JSON body validated by `schema`; 400/413 on anything else. */
  body<T>(schema: z.ZodType<T>): T;
  query(name: string): string | undefined;
  /** Verifies the bearer token; 401 unless it is valid, unrevoked and its user exists. */
  authorize(): Promise<{ claims: TokenClaims; account: Account }>;
}

export interface HttpResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type HttpResult = APIGatewayProxyStructuredResultV2;

const baseHeaders: Record<string, string> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function errorResult(code: ErrorCode, message: string, extraHeaders: Record<string, string> = {}): HttpResult {
  return {
    statusCode: statusOf[code],
    headers: { ...baseHeaders, ...extraHeaders },
    body: JSON.stringify({ error: { code, message } }),
  };
}

function firstIssue(err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue === undefined) return 'The request body is not valid.';
  if (issue.code === 'unrecognized_keys') return `Unexpected field: ${issue.keys.join(', ')}.`;
  const field = issue.path.join('.');
  if (issue.code === 'invalid_type' && field !== '' && issue.input === undefined) return `${field} is required.`;
  return issue.message;
}

function decodeBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function makeRequest(event: APIGatewayProxyEventV2, ctx: { userId?: string }): HttpRequest {
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers.set(k.toLowerCase(), v);
  const raw = decodeBody(event);
  const nowMs = Date.now();
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    requestId: event.requestContext.requestId,
    sourceIp: event.requestContext.http.sourceIp,
    nowMs,
    header: (name) => headers.get(name.toLowerCase()),
    query: (name) => event.queryStringParameters?.[name],
    body<T>(schema: z.ZodType<T>): T {
      if (raw !== undefined && Buffer.byteLength(raw, 'utf8') > maxBodyBytes) {
        throw new AppError('payload_too_large', `The request body must be at most ${maxBodyBytes} bytes.`);
      }
      let parsed: unknown;
      try {
        parsed = raw === undefined || raw.trim() === '' ? undefined : JSON.parse(raw);
      } catch {
        throw new AppError('invalid_input', 'The request body is not valid JSON.');
      }
      if (parsed === undefined || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new AppError('invalid_input', 'The request body must be a JSON object.');
      }
      const result = schema.safeParse(parsed);
      if (!result.success) throw new AppError('invalid_input', firstIssue(result.error));
      return result.data;
    },
    async authorize() {
      const header = headers.get('authorization');
      const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header.trim());
      if (match === null) throw new AppError('unauthorized', 'Sign in to continue.');
      const result = await authenticate(match[1], nowMs);
      ctx.userId = result.claims.userId;
      return result;
    },
  };
}

function toResult(r: HttpResponse): HttpResult {
  return {
    statusCode: r.status,
    headers: { ...baseHeaders, ...(r.headers ?? {}) },
    body: r.body === undefined ? '' : JSON.stringify(r.body),
  };
}

/** Wraps a handler body into a Lambda handler for the HTTP API. */
export function httpHandler(route: string, fn: (req: HttpRequest) => Promise<HttpResponse>): (event: APIGatewayProxyEventV2) => Promise<HttpResult> {
  return async (event) => {
    const started = Date.now();
    const ctx: { userId?: string } = {};
    let result: HttpResult;
    let errorCode: string | undefined;
    try {
      config();
      result = toResult(await fn(makeRequest(event, ctx)));
    } catch (err) {
      if (err instanceof AppError) {
        errorCode = err.code;
        const extra: Record<string, string> = err.details?.retryAfterS !== undefined ? { 'retry-after': String(err.details.retryAfterS) } : {};
        if (err.code === 'unavailable') log.warn('dependency unavailable', { route, requestId: event.requestContext?.requestId, err: err.cause ?? err });
        result = errorResult(err.code, err.message, extra);
      } else if (isUnavailable(err)) {
        errorCode = 'unavailable';
        log.warn('dependency unavailable', { route, requestId: event.requestContext?.requestId, err });
        result = errorResult('unavailable', 'A service we depend on is unavailable. Try again shortly.');
      } else {
        errorCode = 'internal';
        log.error('unhandled error', { route, requestId: event.requestContext?.requestId, userId: ctx.userId, err });
        result = errorResult('internal', 'Something went wrong on our side. Please try again.');
      }
    }
    log.info('request', {
      route,
      method: event.requestContext?.http?.method,
      requestId: event.requestContext?.requestId,
      userId: ctx.userId,
      status: result.statusCode,
      errorCode,
      durationMs: Date.now() - started,
    });
    return result;
  };
}

export const noBody = z.strictObject({});
