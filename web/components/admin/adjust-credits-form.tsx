import { type FormEvent, useId, useRef, useState } from 'react';
import type { AdminActionResult } from '@/hooks/use-admin';
import { creditsWord } from '@/lib/format';
import { Button } from '../button';
import { Notice } from '../notice';
import { TextField } from '../text-field';

const MAX_ADJUSTMENT = 1_000_000;

export interface AdjustCreditsFormProps {
  email: string;
  balance: number;
  pending: boolean;
  result: AdminActionResult | null;
  /** Resolves true when the change was made. */
  onSubmit(delta: number, reason: string): Promise<boolean>;
}

type Errors = { amount?: string; reason?: string };

/** Grant or remove credits, with a reason that goes into the ledger and the audit table. */
export function AdjustCreditsForm({ email, balance, pending, result, onSubmit }: AdjustCreditsFormProps) {
  const id = useId();
  const [direction, setDirection] = useState<'grant' | 'remove'>('grant');
  const [errors, setErrors] = useState<Errors>({});
  const amountRef = useRef<HTMLInputElement>(null);
  const reasonRef = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const amountText = (amountRef.current?.value ?? '').trim();
    const reason = (reasonRef.current?.value ?? '').trim();
    const amount = Number(amountText);
    const next: Errors = {};
    if (!/^\d+$/.test(amountText) || amount < 1 || amount > MAX_ADJUSTMENT) {
      next.amount = `Enter a whole number of credits from 1 to ${MAX_ADJUSTMENT.toLocaleString()}.`;
    } else if (direction === 'remove' && amount > balance) {
      next.amount = `The balance is ${creditsWord(balance)}: at most ${balance.toLocaleString()} can be removed.`;
    }
    if (reason.length < 3 || reason.length > 200) next.reason = 'Give a reason of 3 to 200 characters.';
    setErrors(next);
    if (next.amount) {
      amountRef.current?.focus();
      return;
    }
    if (next.reason) {
      reasonRef.current?.focus();
      return;
    }
    const done = await onSubmit(direction === 'grant' ? amount : -amount, reason);
    if (done) formRef.current?.reset();
  }

  const verb = direction === 'grant' ? 'Grant credits' : 'Remove credits';
  return (
    <form ref={formRef} noValidate onSubmit={submit} aria-label={`Adjust the credits of ${email}`} className="space-y-4" data-testid="adjust-credits">
      <fieldset>
        <legend className="text-sm font-medium text-slate-800">Change</legend>
        <div className="mt-1.5 grid grid-cols-2 gap-2">
          {(['grant', 'remove'] as const).map((value) => (
            <label
              key={value}
              className={`flex min-h-11 cursor-pointer items-center justify-center gap-2 rounded-xl border px-3 text-sm font-semibold has-[:focus-visible]:outline-3 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-indigo-600 ${direction === value ? (value === 'grant' ? 'border-indigo-300 bg-indigo-50 text-indigo-800' : 'border-rose-300 bg-rose-50 text-rose-800') : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50'}`}
            >
              <input
                type="radio"
                name={`${id}-direction`}
                value={value}
                checked={direction === value}
                onChange={() => setDirection(value)}
                className="sr-only"
              />
              {value === 'grant' ? 'Grant' : 'Remove'}
            </label>
          ))}
        </div>
      </fieldset>
      <TextField
        ref={amountRef}
        id={`${id}-amount`}
        name="amount"
        label="Credits"
        inputMode="numeric"
        autoComplete="off"
        placeholder="e.g. 100"
        error={errors.amount}
        hint={`The balance is ${creditsWord(balance)}.`}
        onChange={() => errors.amount && setErrors((e) => ({ ...e, amount: undefined }))}
      />
      <TextField
        ref={reasonRef}
        id={`${id}-reason`}
        name="reason"
        label="Reason"
        autoComplete="off"
        maxLength={200}
        placeholder="e.g. Goodwill for an outage"
        error={errors.reason}
        hint="Kept in the ledger and the audit log; the user doesn’t see it."
        onChange={() => errors.reason && setErrors((e) => ({ ...e, reason: undefined }))}
      />
      {result ? (
        <Notice tone={result.tone} testId={`adjust-${result.tone}`}>
          {result.message}
        </Notice>
      ) : null}
      <Button type="submit" variant={direction === 'grant' ? 'primary' : 'danger'} pending={pending} pendingLabel="Saving…" className="w-full sm:w-auto">
        {verb}
      </Button>
    </form>
  );
}
