// The bearer token lives in localStorage so every tab shares it; a one-shot "flash" message
// (why the user landed on /login) lives in sessionStorage.
const TOKEN_KEY = 'minute-credits.token';
const FLASH_KEY = 'minute-credits.flash';

export const SESSION_EXPIRED_MESSAGE = 'Your session has expired — please sign in again.';
export const SIGNED_OUT_MESSAGE = 'You have signed out. See you next time.';

export type FlashMessage = { kind: 'info' | 'warning'; text: string };

export function readToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  window.localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  try {
    window.localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable: nothing to clear
  }
}

/** Calls `onChange` when another tab signs in or out. Returns the unsubscribe function. */
export function subscribeToken(onChange: () => void): () => void {
  const listener = (event: StorageEvent) => {
    if (event.key === TOKEN_KEY || event.key === null) onChange();
  };
  window.addEventListener('storage', listener);
  return () => window.removeEventListener('storage', listener);
}

export function setFlash(message: FlashMessage): void {
  try {
    window.sessionStorage.setItem(FLASH_KEY, JSON.stringify(message));
  } catch {
    // storage unavailable: the message is lost, the redirect still happens
  }
}

/** Returns and forgets the pending flash message, if any. */
export function takeFlash(): FlashMessage | null {
  try {
    const raw = window.sessionStorage.getItem(FLASH_KEY);
    if (raw === null) return null;
    window.sessionStorage.removeItem(FLASH_KEY);
    const parsed = JSON.parse(raw) as Partial<FlashMessage>;
    if (typeof parsed.text !== 'string') return null;
    return { kind: parsed.kind === 'warning' ? 'warning' : 'info', text: parsed.text };
  } catch {
    return null;
  }
}
