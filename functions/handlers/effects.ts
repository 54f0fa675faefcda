import { config } from '../config';
import { log } from '../core/log';
import type { Effects } from '../core/sessions';

/** What the session use cases need from the environment: the period and the logger. */
export function effects(): Effects {
  return { periodMs: config().periodMs, log };
}
