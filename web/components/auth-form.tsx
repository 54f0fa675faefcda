'use client';

import Link from 'next/link';
import { type FormEvent, useRef } from 'react';
import type { AuthErrors, AuthField, AuthMode } from '@/hooks/use-auth-form';
import type { FlashMessage } from '@/lib/auth-store';
import { Button } from './button';
import { Notice } from './notice';
import { TextField } from './text-field';

export interface AuthFormProps {
  mode: AuthMode;
  pending: boolean;
  errors: AuthErrors;
  flash: FlashMessage | null;
  onSubmit(email: string, password: string): Promise<AuthErrors>;
  onEdit(field: AuthField): void;
}

const copy = {
  login: {
    title: 'Sign in',
    lead: 'Welcome back. Your balance is waiting for you.',
    submit: 'Sign in',
    pending: 'Signing in…',
    switchText: 'New to Minute Credits?',
    switchLink: 'Create an account',
    switchHref: '/signup',
    passwordHint: undefined,
    autoComplete: 'current-password',
  },
  signup: {
    title: 'Create your account',
    lead: 'Start with 100 free credits — ten minutes of live session time.',
    submit: 'Create account',
    pending: 'Creating your account…',
    switchText: 'Already have an account?',
    switchLink: 'Sign in',
    switchHref: '/login',
    passwordHint: '8 to 72 characters.',
    autoComplete: 'new-password',
  },
} as const;

export function AuthForm({ mode, pending, errors, flash, onSubmit, onEdit }: AuthFormProps) {
  const text = copy[mode];
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const formErrorRef = useRef<HTMLDivElement>(null);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const result = await onSubmit(emailRef.current?.value ?? '', passwordRef.current?.value ?? '');
    if (result.email) emailRef.current?.focus();
    else if (result.password) passwordRef.current?.focus();
    else if (result.form) formErrorRef.current?.focus();
  }

  return (
    <div>
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900 sm:text-3xl">{text.title}</h1>
      <p className="mt-2 text-base leading-7 text-slate-600">{text.lead}</p>

      {flash ? (
        <Notice tone={flash.kind === 'warning' ? 'warning' : 'info'} className="mt-6" testId="flash-message">
          {flash.text}
        </Notice>
      ) : null}

      <form noValidate onSubmit={handleSubmit} className="mt-8 space-y-5 rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-7" aria-label={text.title}>
        <TextField
          ref={emailRef}
          id={`${mode}-email`}
          name="email"
          type="email"
          label="Email address"
          autoComplete="email"
          inputMode="email"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="you@example.com"
          required
          error={errors.email}
          onChange={() => onEdit('email')}
        />
        {errors.code === 'email_taken' ? (
          <p className="-mt-2 text-sm">
            <Link href="/login" className="inline-flex min-h-11 items-center font-semibold text-indigo-700 underline underline-offset-4 hover:text-indigo-900">
              Sign in to your account
            </Link>
          </p>
        ) : null}
        <TextField
          ref={passwordRef}
          id={`${mode}-password`}
          name="password"
          type="password"
          label="Password"
          autoComplete={text.autoComplete}
          required
          minLength={mode === 'signup' ? 8 : undefined}
          hint={text.passwordHint}
          error={errors.password}
          onChange={() => onEdit('password')}
        />
        {errors.form ? (
          <div ref={formErrorRef} tabIndex={-1}>
            <Notice tone="error" testId="form-error">
              {errors.form}
            </Notice>
          </div>
        ) : null}
        <Button type="submit" size="lg" className="w-full" pending={pending} pendingLabel={text.pending}>
          {text.submit}
        </Button>
      </form>

      <p className="mt-6 text-center text-sm text-slate-600">
        {text.switchText}{' '}
        <Link href={text.switchHref} className="inline-flex min-h-11 items-center px-1 font-semibold text-indigo-700 underline-offset-4 hover:text-indigo-900 hover:underline">
          {text.switchLink}
        </Link>
      </p>
    </div>
  );
}
