'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, login, signup } from '@/lib/api';
import { type FlashMessage, readToken, saveToken, takeFlash } from '@/lib/auth-store';

export type AuthMode = 'login' | 'signup';
export type AuthField = 'email' | 'password';

export interface AuthErrors {
  email?: string;
  password?: string;
  /** Not tied to one field: rate limits, network, outages. */
  form?: string;
  /** The API's code for the last failure, for follow-up links (e.g. email taken → sign in). */
  code?: string;
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PASSWORD_MIN_BYTES = 8;
const PASSWORD_MAX_BYTES = 72;

export function validateCredentials(mode: AuthMode, email: string, password: string): AuthErrors {
  const errors: AuthErrors = {};
  const trimmed = email.trim();
  if (trimmed === '') errors.email = 'Enter your email address.';
  else if (!EMAIL_PATTERN.test(trimmed)) errors.email = 'Enter an email address like name@example.com.';
  const bytes = new TextEncoder().encode(password).length;
  if (password === '') errors.password = mode === 'signup' ? 'Choose a password.' : 'Enter your password.';
  else if (mode === 'signup' && bytes < PASSWORD_MIN_BYTES) errors.password = 'Use at least 8 characters for your password.';
  else if (bytes > PASSWORD_MAX_BYTES) errors.password = 'Your password is too long: use at most 72 characters.';
  return errors;
}

function minutesFrom(seconds: number | null): string {
  if (seconds === null || seconds <= 60) return 'a minute';
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

export function describeAuthError(mode: AuthMode, error: unknown): AuthErrors {
  if (!(error instanceof ApiError)) return { form: 'Something went wrong. Please try again.' };
  switch (error.code) {
    case 'email_taken':
      return { code: error.code, email: 'An account with this email already exists. Sign in instead, or use another email.' };
    case 'invalid_credentials':
      return { code: error.code, password: 'That email and password don’t match an account. Check them and try again.' };
    case 'rate_limited':
      return {
        code: error.code,
        form:
          mode === 'login'
            ? `Too many sign-in attempts. For your security, wait ${minutesFrom(error.retryAfterS)} and try again.`
            : `Too many sign-ups from this network. Please wait ${minutesFrom(error.retryAfterS)} and try again.`,
      };
    case 'invalid_input':
    case 'payload_too_large':
      return { code: error.code, form: error.message.endsWith('.') ? error.message : `${error.message}.` };
    case 'network':
      return { code: error.code, form: 'We couldn’t reach the server. Check your connection and try again.' };
    default:
      return { code: error.code, form: 'The service is briefly unavailable. Please try again in a moment.' };
  }
}

/**
 * Sign-up and sign-in: validates like the server does, explains every failure next to the
 * field that caused it, stores the token and opens the dashboard. A signed-in visitor goes
 * straight to the dashboard.
 */
export function useAuthForm(mode: AuthMode) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<AuthErrors>({});
  const [flash, setFlashMessage] = useState<FlashMessage | null>(null);
  const pendingRef = useRef(false);

  useEffect(() => {
    if (readToken() !== null) {
      router.replace('/dashboard');
      return;
    }
    const message = takeFlash();
    if (message !== null) setFlashMessage(message);
  }, [router]);

  const submit = useCallback(
    async (email: string, password: string): Promise<AuthErrors> => {
      if (pendingRef.current) return {};
      const invalid = validateCredentials(mode, email, password);
      setErrors(invalid);
      if (invalid.email || invalid.password) return invalid;
      pendingRef.current = true;
      setPending(true);
      setFlashMessage(null);
      try {
        const { token } = mode === 'signup' ? await signup(email.trim(), password) : await login(email.trim(), password);
        saveToken(token);
        router.replace('/dashboard');
        return {};
      } catch (error) {
        const described = describeAuthError(mode, error);
        setErrors(described);
        pendingRef.current = false;
        setPending(false);
        return described;
      }
    },
    [mode, router],
  );

  const clearError = useCallback((field: AuthField) => {
    setErrors((current) => (current[field] ? { ...current, [field]: undefined } : current));
  }, []);

  return { submit, pending, errors, flash, clearError };
}
