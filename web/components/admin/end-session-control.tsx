import { useEffect, useRef, useState } from 'react';
import type { AdminActionResult } from '@/hooks/use-admin';
import { Button } from '../button';
import { Notice } from '../notice';

export interface EndSessionControlProps {
  email: string;
  /** The user has a live session to end. */
  active: boolean;
  pending: boolean;
  result: AdminActionResult | null;
  onEnd(): Promise<boolean>;
}

/** "End session", then a confirm step that says what will happen. */
export function EndSessionControl({ email, active, pending, result, onEnd }: EndSessionControlProps) {
  const [confirming, setConfirming] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) cancelRef.current?.focus(); // the safe choice takes focus
  }, [confirming]);

  const close = () => {
    setConfirming(false);
    requestAnimationFrame(() => openerRef.current?.focus());
  };

  return (
    <div className="space-y-3">
      {result ? (
        <Notice tone={result.tone} testId={`end-session-${result.tone}`}>
          {result.message}
        </Notice>
      ) : null}
      {active && !confirming ? (
        <Button ref={openerRef} variant="danger" onClick={() => setConfirming(true)} className="w-full sm:w-auto" data-testid="end-session">
          End session…
        </Button>
      ) : null}
      {active && confirming ? (
        <div
          role="group"
          aria-labelledby="end-session-confirm-title"
          className="rounded-xl border border-rose-200 bg-rose-50 p-4"
          data-testid="end-session-confirm"
          onKeyDown={(event) => {
            if (event.key === 'Escape' && !pending) close();
          }}
        >
          <p id="end-session-confirm-title" className="text-sm font-semibold text-rose-950">
            End {email}’s session now?
          </p>
          <p className="mt-1 text-sm leading-6 text-rose-950">
            It stops at once and every device of theirs shows “Session stopped”. The period already paid isn’t refunded.
          </p>
          <div className="mt-3 flex flex-col gap-2 sm:flex-row">
            <Button
              variant="danger"
              pending={pending}
              pendingLabel="Ending…"
              onClick={async () => {
                await onEnd();
                setConfirming(false);
              }}
            >
              Yes, end the session
            </Button>
            <Button ref={cancelRef} variant="secondary" onClick={close} unavailable={pending}>
              Cancel
            </Button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
