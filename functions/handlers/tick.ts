// The tick: invoked by EventBridge Scheduler once a minute; loops inside the invocation until
// shortly before its minute is up, so charges are late by little more than one pass takes.
import { config } from '../config';
import { log } from '../core/log';
import { loopSettings, runTickLoop } from '../core/tick';

interface LambdaContext {
  getRemainingTimeInMillis?: () => number;
}

const loopBudgetMs = 58_000;
const safetyMarginMs = 3_000;

/** One CloudWatch Embedded Metric Format line: how late the oldest due charge was. */
function emitLateness(latenessMs: number, passes: number): void {
  console.log(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [{ Namespace: 'MinuteCredits', Dimensions: [[]], Metrics: [{ Name: 'TickLatenessMs', Unit: 'Milliseconds' }, { Name: 'TickPasses', Unit: 'Count' }] }],
      },
      TickLatenessMs: latenessMs,
      TickPasses: passes,
    }),
  );
}

export async function handler(_event: unknown, context?: LambdaContext): Promise<{ passes: number; charged: number; ended: number }> {
  const c = config();
  const started = Date.now();
  const remaining = context?.getRemainingTimeInMillis?.() ?? loopBudgetMs + safetyMarginMs;
  const untilMs = started + Math.max(0, Math.min(loopBudgetMs, remaining - safetyMarginMs));
  const result = await runTickLoop({ ...loopSettings(c), untilMs, log });
  emitLateness(result.maxLatenessMs, result.passes);
  log.info('tick invocation', { route: 'tick', passes: result.passes, charged: result.charged, ended: result.ended, latenessMs: result.maxLatenessMs, durationMs: Date.now() - started });
  return { passes: result.passes, charged: result.charged, ended: result.ended };
}
