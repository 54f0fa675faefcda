// The durable timer's target: EventBridge Scheduler invokes it at a session's `endsAt` with
// `{"sessionId": "…"}`. It settles the session: ends it, or re-arms the timer if the balance grew.
// Firing twice is harmless: the settle charges what is due, and an ended session is left alone.
import { z } from 'zod';
import { log } from '../core/log';
import { expireSession } from '../core/sessions';
import { effects } from './effects';

const inputSchema = z.object({ sessionId: z.string().regex(/^\d{1,18}$/) });

export async function handler(event: unknown): Promise<{ outcome: string }> {
  const started = Date.now();
  let input: unknown = event;
  try {
    if (typeof event === "string") input = JSON.parse(event);
  } catch {
    input = null;
  }
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    log.warn('expire: invalid input', { route: 'expire' });
    return { outcome: 'invalid' };
  }
  const outcome = await expireSession(parsed.data.sessionId, effects());
  log.info('timer fired', { route: 'expire', sessionId: parsed.data.sessionId, outcome, durationMs: Date.now() - started });
  return { outcome };
}
