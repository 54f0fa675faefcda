// Structured JSON logs (Powertools Logger): one line per request, tick pass or timer firing,
// plus warnings and errors. Never log passwords, tokens, secrets or SQL parameters: callers pass
// only ids, counts, codes and durations, and errors are reduced to name/code/message.
import { LogLevelThreshold, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { config } from '../config';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' | 'CRITICAL';

let instance: PowertoolsLogger | undefined;

function base(): PowertoolsLogger {
  instance ??= new PowertoolsLogger({ serviceName: 'minute-credits', logLevel: config().logLevel as Level });
  return instance;
}

/** An error as loggable fields: no stack for expected errors, no driver internals. */
export function describeError(err: unknown): LogFields {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { errorName: err.name, errorCode: typeof code === 'string' ? code : undefined, errorMessage: err.message, stack: err.stack };
  }
  return { errorMessage: String(err) };
}

function clean(fields: LogFields | undefined): LogFields {
  if (fields === undefined) return {};
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out[k] = k === 'err' ? describeError(v) : v;
  }
  return out;
}

/**
 * Writes through Powertools only at an enabled level: below it nothing is built (Powertools
 * itself reads the X-Ray trace id from the environment before it checks the level, ~10 µs on
 * every request's access line under the bench's LOG_LEVEL=ERROR).
 */
function at(level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): (msg: string, fields?: LogFields) => void {
  const method = level.toLowerCase() as Lowercase<typeof level>;
  return (msg, fields) => {
    const logger = base();
    if (LogLevelThreshold[level] < logger.level) return;
    logger[method](msg, clean(fields));
  };
}

export const log: Logger = { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') };
