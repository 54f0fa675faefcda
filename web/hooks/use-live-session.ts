'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { ApiError, fetchStatus, logout, startSession, stopSession } from '@/lib/api';
import {
  SESSION_EXPIRED_MESSAGE,
  SIGNED_OUT_MESSAGE,
  clearToken,
  readToken,
  setFlash,
  subscribeToken,
} from '@/lib/auth-store';
import { DEFAULT_PERIOD_MS, clockOffsetMs, derivePeriodMs } from '@/lib/clock';
import { loadConfig } from '@/lib/config';
import type { EndReason, ServerMessage, WireSession, WireUser } from '@/lib/wire';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';
export type PendingAction = 'start' | 'stop' | 'logout' | null;

export interface EndedNotice {
  session: WireSession;
  reason: EndReason;
}

export interface ActionError {
  action: 'start' | 'stop';
  message: string;
}

export interface LiveSessionState {
  /** `loading` until the first snapshot of the account arrives. */
  phase: 'loading' | 'ready';
  /** Why the account has not loaded yet (the hook keeps retrying). */
  loadError: string | null;
  user: WireUser | null;
  /** The active session, else the latest ended one, else null. */
  session: WireSession | null;
  /** The most recent ended session this page has seen (kept while a new one runs). */
  lastEndedSession: WireSession | null;
  /** serverNow = Date.now() + offsetMs. */
  offsetMs: number;
  /** The credit period: from the server when it says, else derived from an active session. */
  periodMs: number;
  connection: ConnectionState;
  endedNotice: EndedNotice | null;
  pending: PendingAction;
  actionError: ActionError | null;
  /** Set when a start or stop found the server in another state (e.g. another tab acted first). */
  actionInfo: string | null;
}

/** A state of the account the page learned outside the socket (e.g. a purchase's answer). */
export interface AccountState {
  user: WireUser;
  session: WireSession | null;
  serverTime?: string;
  periodMs?: number;
}

export interface LiveSession extends LiveSessionState {
  start(): void;
  stop(): void;
  logOut(): void;
  dismissEndedNotice(): void;
  /** Applies an answer that carries the account's state; an older one than shown is ignored. */
  acceptState(state: AccountState): void;
  /** For a 401 met elsewhere on the page: clears the token and opens /login with a message. */
  expire(): void;
}

// Reconnect backoff: full jitter between half and all of an exponential step, capped.
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15_000;
// Keeps an idle WebSocket from hitting API Gateway's 10-minute idle timeout, and lets the server
// notice within a minute a connection it no longer knows (Redis emptied) and close it.
const KEEPALIVE_MS = 60_000;
// When a running session's endsAt passes without a session.ended, ask for the status this long after.
const ENDS_AT_RESYNC_MS = 1_500;
// Offsets from this many recent messages; the largest is the one least delayed by the network.
const OFFSET_SAMPLES = 8;

export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const stepMs = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 10));
  return Math.round(stepMs / 2 + random() * (stepMs / 2));
}

type Snapshot = {
  session: WireSession | null;
  user: WireUser;
  serverTime: string | null;
  receivedAtMs: number;
  endedReason: EndReason | null;
  periodMs: number | null;
};

type Action =
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'connection'; connection: ConnectionState }
  | { type: 'load-error'; message: string }
  | { type: 'pending'; pending: PendingAction }
  | { type: 'action-error'; error: ActionError | null }
  | { type: 'action-info'; message: string | null }
  | { type: 'dismiss-ended' };

type State = LiveSessionState & { offsetSamples: number[]; lastServerTimeMs: number | null };

const initialState: State = {
  phase: 'loading',
  loadError: null,
  user: null,
  session: null,
  lastEndedSession: null,
  offsetMs: 0,
  periodMs: DEFAULT_PERIOD_MS,
  connection: 'connecting',
  endedNotice: null,
  pending: null,
  actionError: null,
  actionInfo: null,
  offsetSamples: [],
  lastServerTimeMs: null,
};

/** True when `next` describes an older state of the world than `prev` (a late answer). */
export function isStaleSession(prev: WireSession | null, next: WireSession | null): boolean {
  if (prev === null) return false;
  if (next === null) return true;
  if (next.id !== prev.id) return Date.parse(next.startTime) < Date.parse(prev.startTime);
  if (!prev.isActive && next.isActive) return true;
  return prev.isActive && next.isActive && next.creditsConsumed < prev.creditsConsumed;
}

function applySnapshot(state: State, snapshot: Snapshot): State {
  const serverTimeMs = snapshot.serverTime === null ? null : Date.parse(snapshot.serverTime);
  if (serverTimeMs !== null && state.lastServerTimeMs !== null && serverTimeMs < state.lastServerTimeMs) {
    return state;
  }
  if (isStaleSession(state.session, snapshot.session)) return state;

  let { offsetSamples, offsetMs } = state;
  if (snapshot.serverTime !== null) {
    const sample = clockOffsetMs(snapshot.serverTime, snapshot.receivedAtMs);
    if (sample !== null) {
      offsetSamples = [...offsetSamples, sample].slice(-OFFSET_SAMPLES);
      offsetMs = Math.max(...offsetSamples);
    }
  }

  const prev = state.session;
  const next = snapshot.session;
  let endedNotice = state.endedNotice;
  if (next !== null && !next.isActive) {
    const sawItRun = prev !== null && prev.id === next.id && prev.isActive;
    const reason = snapshot.endedReason ?? next.endReason;
    if ((sawItRun || snapshot.endedReason !== null) && reason !== null) {
      endedNotice = { session: next, reason };
    }
  } else if (next !== null && next.isActive && endedNotice !== null && endedNotice.session.id !== next.id) {
    endedNotice = null; // a new session began: the old banner is history
  }

  const periodMs = snapshot.periodMs ?? derivePeriodMs(next, snapshot.user.credits) ?? state.periodMs;
  // Only status answers say `isAdmin`; pushed updates leave it out, which must not hide the admin link.
  const wasAdmin = state.user?.id === snapshot.user.id && state.user.isAdmin === true;
  const user = wasAdmin && snapshot.user.isAdmin === undefined ? { ...snapshot.user, isAdmin: true } : snapshot.user;

  return {
    ...state,
    phase: 'ready',
    loadError: null,
    user,
    session: next,
    lastEndedSession: next !== null && !next.isActive ? next : state.lastEndedSession,
    offsetMs,
    offsetSamples,
    lastServerTimeMs: serverTimeMs ?? state.lastServerTimeMs,
    periodMs,
    endedNotice,
    actionError: next?.isActive === true && state.actionError?.action === 'start' ? null : state.actionError,
  };
}

function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'snapshot':
      return applySnapshot(state, action.snapshot);
    case 'connection':
      return state.connection === action.connection ? state : { ...state, connection: action.connection };
    case 'load-error':
      return state.phase === 'loading' ? { ...state, loadError: action.message } : state;
    case 'pending':
      return { ...state, pending: action.pending, ...(action.pending ? { actionError: null, actionInfo: null } : {}) };
    case 'action-error':
      return { ...state, actionError: action.error };
    case 'action-info':
      return { ...state, actionInfo: action.message };
    case 'dismiss-ended':
      return { ...state, endedNotice: null };
  }
}

/** `periodMs` is not in the wire types yet; read it if the server sends it. */
function optionalPeriodMs(message: object): number | null {
  const value = (message as { periodMs?: unknown }).periodMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

function parseMessage(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const message = JSON.parse(data) as { type?: unknown };
    if (message.type === 'session.update' || message.type === 'session.ended' || message.type === 'error') {
      return message as ServerMessage;
    }
  } catch {
    // not JSON: ignore it
  }
  return null;
}

function describeActionError(action: 'start' | 'stop', error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (error.code) {
    case 'insufficient_credits':
      return 'You have no credits left, so a session can’t start. Add credits to continue.';
    case 'rate_limited':
      return 'Too many requests in a short time. Wait a moment and try again.';
    case 'network':
      return action === 'start'
        ? 'We couldn’t reach the server, so the session didn’t start. Check your connection and try again.'
        : 'We couldn’t reach the server, so the session may still be running. Check your connection and try again.';
    case 'unavailable':
      return 'The service is briefly unavailable. Please try again in a moment.';
    default:
      return error.message.endsWith('.') ? error.message : `${error.message}.`;
  }
}

/**
 * The signed-in user's balance and session, live: one HTTP status on mount, then a WebSocket
 * that receives `session.update` / `session.ended`. The socket asks for a status after every
 * (re)connect, reconnects with jittered exponential backoff, resyncs over HTTP while it is
 * down, and closes on unmount. A 401 sends the user to /login with a message.
 */
export function useLiveSession(): LiveSession {
  const router = useRouter();
  const [state, dispatch] = useReducer(reducer, initialState);
  const pendingRef = useRef<PendingAction>(null);
  const leavingRef = useRef(false);
  const requestStatusRef = useRef<() => void>(() => {});

  const leave = useCallback(
    (message: string | null, kind: 'info' | 'warning' = 'warning') => {
      if (leavingRef.current) return;
      leavingRef.current = true;
      clearToken();
      if (message !== null) setFlash({ kind, text: message });
      router.replace('/login');
    },
    [router],
  );

  useEffect(() => {
    const token = readToken();
    if (token === null) {
      router.replace('/login');
      return;
    }
    let disposed = false;
    let socket: WebSocket | null = null;
    let attempt = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let keepaliveTimer: ReturnType<typeof setInterval> | undefined;

    const acceptSnapshot = (
      body: { session: WireSession | null; user: WireUser; serverTime?: string },
      endedReason: EndReason | null,
    ) => {
      if (disposed) return;
      dispatch({
        type: 'snapshot',
        snapshot: {
          session: body.session,
          user: body.user,
          serverTime: body.serverTime ?? null,
          receivedAtMs: Date.now(),
          endedReason,
          periodMs: optionalPeriodMs(body),
        },
      });
    };

    const resyncOverHttp = async () => {
      try {
        acceptSnapshot(await fetchStatus(token), null);
      } catch (error) {
        if (disposed) return;
        if (error instanceof ApiError && error.code === 'unauthorized') {
          leave(SESSION_EXPIRED_MESSAGE);
          return;
        }
        dispatch({
          type: 'load-error',
          message:
            error instanceof ApiError && error.code !== 'network'
              ? 'The service is briefly unavailable. We’ll keep trying.'
              : 'We can’t reach the server right now. We’ll keep trying.',
        });
      }
    };

    const scheduleReconnect = () => {
      if (disposed) return;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => void connect(), reconnectDelayMs(attempt));
      attempt += 1;
    };

    const onMessage = (event: MessageEvent) => {
      const message = parseMessage(event.data);
      if (message === null) return;
      if (message.type === 'error') {
        if (message.error.code === 'unauthorized') leave(SESSION_EXPIRED_MESSAGE);
        return;
      }
      acceptSnapshot(message, message.type === 'session.ended' ? message.reason : null);
    };

    const connect = async () => {
      if (disposed || socket !== null) return;
      let wsUrl: string;
      try {
        ({ wsUrl } = await loadConfig());
      } catch {
        if (!disposed) dispatch({ type: 'load-error', message: 'We couldn’t load the app’s settings. We’ll keep trying.' });
        scheduleReconnect();
        return;
      }
      if (disposed || socket !== null) return;
      const separator = wsUrl.includes('?') ? '&' : '?';
      const current = new WebSocket(`${wsUrl}${separator}token=${encodeURIComponent(token)}`);
      socket = current;
      current.onopen = () => {
        if (disposed) return;
        attempt = 0;
        dispatch({ type: 'connection', connection: 'live' });
        current.send(JSON.stringify({ action: 'status' }));
        clearInterval(keepaliveTimer);
        keepaliveTimer = setInterval(() => {
          if (current.readyState === WebSocket.OPEN) current.send(JSON.stringify({ action: 'status' }));
        }, KEEPALIVE_MS);
      };
      current.onmessage = onMessage;
      current.onclose = () => {
        if (socket === current) socket = null;
        clearInterval(keepaliveTimer);
        if (disposed) return;
        dispatch({ type: 'connection', connection: navigator.onLine ? 'reconnecting' : 'offline' });
        // The HTTP status both keeps the page current and tells a refused (revoked) token apart.
        void resyncOverHttp();
        scheduleReconnect();
      };
    };

    const reconnectNow = () => {
      if (disposed) return;
      clearTimeout(retryTimer);
      attempt = 0;
      void connect();
    };

    requestStatusRef.current = () => {
      if (socket !== null && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ action: 'status' }));
      } else {
        void resyncOverHttp();
      }
    };

    const onOnline = () => {
      dispatch({ type: 'connection', connection: 'reconnecting' });
      reconnectNow();
    };
    const onOffline = () => dispatch({ type: 'connection', connection: 'offline' });
    const onVisible = () => {
      if (document.visibilityState !== 'visible') return;
      if (socket === null) reconnectNow();
      else requestStatusRef.current();
    };
    const unsubscribeToken = subscribeToken(() => {
      const current = readToken();
      if (current === token) return;
      disposed = true;
      socket?.close(1000);
      if (current === null) {
        setFlash({ kind: 'info', text: 'You signed out in another tab.' });
        router.replace('/login');
      } else {
        window.location.reload(); // another account signed in elsewhere: start over with it
      }
    });

    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    document.addEventListener('visibilitychange', onVisible);
    void resyncOverHttp();
    void connect();

    return () => {
      disposed = true;
      clearTimeout(retryTimer);
      clearInterval(keepaliveTimer);
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      document.removeEventListener('visibilitychange', onVisible);
      unsubscribeToken();
      requestStatusRef.current = () => {};
      const open = socket;
      socket = null;
      if (open !== null) {
        open.onclose = null;
        open.onmessage = null;
        open.close(1000);
      }
    };
  }, [router, leave]);

  const runAction = useCallback(
    async (action: 'start' | 'stop') => {
      if (pendingRef.current !== null) return; // no double submit
      const token = readToken();
      if (token === null) {
        leave(SESSION_EXPIRED_MESSAGE);
        return;
      }
      pendingRef.current = action;
      dispatch({ type: 'pending', pending: action });
      try {
        const result = action === 'start' ? await startSession(token) : await stopSession(token);
        dispatch({
          type: 'snapshot',
          snapshot: {
            session: result.session,
            user: result.user,
            serverTime: null,
            receivedAtMs: Date.now(),
            endedReason: action === 'stop' ? 'stopped' : null,
            periodMs: optionalPeriodMs(result),
          },
        });
        requestStatusRef.current(); // a fresh serverTime for the clock
      } catch (error) {
        if (error instanceof ApiError && error.code === 'unauthorized') {
          leave(SESSION_EXPIRED_MESSAGE);
        } else if (error instanceof ApiError && error.code === 'session_active') {
          dispatch({ type: 'action-info', message: 'A session was already running — perhaps started in another tab. It’s shown here now.' });
          requestStatusRef.current();
        } else if (error instanceof ApiError && error.code === 'no_active_session') {
          dispatch({ type: 'action-info', message: 'That session had already ended before Stop reached the server.' });
          requestStatusRef.current();
        } else {
          dispatch({ type: 'action-error', error: { action, message: describeActionError(action, error) } });
        }
      } finally {
        pendingRef.current = null;
        dispatch({ type: 'pending', pending: null });
      }
    },
    [leave],
  );

  const start = useCallback(() => void runAction('start'), [runAction]);
  const stop = useCallback(() => void runAction('stop'), [runAction]);
  const dismissEndedNotice = useCallback(() => dispatch({ type: 'dismiss-ended' }), []);
  const expire = useCallback(() => leave(SESSION_EXPIRED_MESSAGE), [leave]);
  const acceptState = useCallback((account: AccountState) => {
    dispatch({
      type: 'snapshot',
      snapshot: {
        session: account.session,
        user: account.user,
        serverTime: account.serverTime ?? null,
        receivedAtMs: Date.now(),
        endedReason: null,
        periodMs: optionalPeriodMs(account),
      },
    });
  }, []);

  const logOut = useCallback(() => {
    if (pendingRef.current !== null) return;
    const token = readToken();
    pendingRef.current = 'logout';
    dispatch({ type: 'pending', pending: 'logout' });
    const finish = () => leave(SIGNED_OUT_MESSAGE, 'info');
    if (token === null) {
      finish();
      return;
    }
    // Whatever the server says (even that the token was already dead), this browser signs out.
    logout(token).then(finish, finish);
  }, [leave]);

  // A push can be missed (a connection the server lost track of): when the credits should have
  // run out and no session.ended came, ask for the status.
  const activeEndsAtMs = state.session?.isActive === true && state.session.endsAt !== null ? Date.parse(state.session.endsAt) : null;
  const offsetMs = state.offsetMs;
  useEffect(() => {
    if (activeEndsAtMs === null) return;
    const waitMs = Math.max(0, activeEndsAtMs - (Date.now() + offsetMs) + ENDS_AT_RESYNC_MS);
    const timer = setTimeout(() => requestStatusRef.current(), waitMs);
    return () => clearTimeout(timer);
  }, [activeEndsAtMs, offsetMs]);

  return {
    phase: state.phase,
    loadError: state.loadError,
    user: state.user,
    session: state.session,
    lastEndedSession: state.lastEndedSession,
    offsetMs: state.offsetMs,
    periodMs: state.periodMs,
    connection: state.connection,
    endedNotice: state.endedNotice,
    pending: state.pending,
    actionError: state.actionError,
    actionInfo: state.actionInfo,
    start,
    stop,
    logOut,
    dismissEndedNotice,
    acceptState,
    expire,
  };
}
