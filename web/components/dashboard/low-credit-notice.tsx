import Link from 'next/link';
import { LOW_CREDIT_THRESHOLD_MS, formatDurationWords } from '@/lib/clock';
import { Notice } from '../notice';

export interface LowCreditNoticeProps {
  running: boolean;
  credits: number;
  periodMs: number;
  timeLeftMs: number | null;
}

/** True when the balance pays for less than a minute more. */
export function isLowOnCredits({ running, credits, periodMs, timeLeftMs }: LowCreditNoticeProps): boolean {
  if (running) return timeLeftMs !== null && timeLeftMs < LOW_CREDIT_THRESHOLD_MS;
  return credits > 0 && credits * periodMs < LOW_CREDIT_THRESHOLD_MS;
}

/** Warns, before it happens, that the balance is about to run out. */
export function LowCreditNotice(props: LowCreditNoticeProps) {
  if (!isLowOnCredits(props)) return null;
  const { running, credits, periodMs, timeLeftMs } = props;
  return (
    <Notice tone="warning" title="Less than a minute of credits left" testId="low-credit-warning">
      {running
        ? `Your session will end in ${formatDurationWords(timeLeftMs ?? 0)} when your credits run out.`
        : `Your ${credits === 1 ? 'credit buys' : `${credits} credits buy`} ${formatDurationWords(credits * periodMs)} of session time.`}{' '}
      <Link href="/credits" className="font-semibold underline underline-offset-4 hover:no-underline">
        Buy credits
      </Link>
    </Notice>
  );
}
