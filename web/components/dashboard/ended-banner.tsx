import Link from 'next/link';
import type { EndedNotice } from '@/hooks/use-live-session';
import { formatDurationWords, formatTimeOfDay, sessionDurationMs } from '@/lib/clock';
import { Notice } from '../notice';

function creditsWord(count: number): string {
  return count === 1 ? '1 credit' : `${count} credits`;
}

/** Says that a session ended, and why, in one sentence. */
export function EndedBanner({ notice, onDismiss }: { notice: EndedNotice; onDismiss(): void }) {
  const { session, reason } = notice;
  const ran = formatDurationWords(sessionDurationMs(session));
  const used = creditsWord(session.creditsConsumed);
  const at = session.endTime ? formatTimeOfDay(session.endTime) : null;
  return reason === 'exhausted' ? (
    <Notice tone="warning" title="Your credits ran out" onDismiss={onDismiss} testId="ended-banner">
      <span data-reason="exhausted">
        The session ended{at ? ` at ${at}` : ''} when your balance reached zero. It ran {ran} and used {used}.{' '}
        <Link href="/credits" className="font-semibold underline underline-offset-4 hover:no-underline">
          Buy credits
        </Link>
      </span>
    </Notice>
  ) : (
    <Notice tone="success" title="Session stopped" onDismiss={onDismiss} testId="ended-banner">
      <span data-reason="stopped">
        The session was stopped{at ? ` at ${at}` : ''}. It ran {ran} and used {used}.
      </span>
    </Notice>
  );
}
