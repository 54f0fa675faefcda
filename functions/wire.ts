// The shapes that cross the wire (HTTP bodies and WebSocket messages). The web app imports
// only this file from functions/.
export interface WireUser {
  id: string;
  email: string;
  credits: number;
  isAdmin?: boolean;
}

export type EndReason = 'stopped' | 'exhausted';

export interface WireSession {
  id: string;
  startTime: string;
  endTime: string | null;
  creditsConsumed: number;
  isActive: boolean;
  endReason: EndReason | null;
  nextChargeAt: string | null;
  endsAt: string | null;
}

export interface WireError {
  error: { code: string; message: string };
}

export interface AuthResponse {
  token: string;
  user: WireUser;
}

export interface SessionResponse {
  session: WireSession;
  user: WireUser;
}

export interface StatusResponse {
  session: WireSession | null;
  user: WireUser;
  serverTime: string;
  /** The credit period in ms (CREDIT_PERIOD_MS): what one credit buys. */
  periodMs?: number;
}

export interface SessionUpdateMessage {
  type: 'session.update';
  session: WireSession | null;
  user: WireUser;
  serverTime: string;
  periodMs?: number;
}

export interface SessionEndedMessage {
  type: 'session.ended';
  session: WireSession;
  user: WireUser;
  reason: EndReason;
  serverTime: string;
  periodMs?: number;
}

export interface ErrorMessage {
  type: 'error';
  error: { code: string; message: string };
}

export type ServerMessage = SessionUpdateMessage | SessionEndedMessage | ErrorMessage;

/** `config.json` beside the site's pages. */
export interface SiteConfig {
  apiUrl: string;
  wsUrl: string;
}

// ---------------------------------------------------------------------------------------------
// Top-ups, history and the admin console (docs/API-CREDITS-ADMIN.md).

/** One page of a newest-first list; pass `nextCursor` back as `?cursor=` (null: the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CreditPack {
  id: string;
  name: string;
  credits: number;
  /** The price in the currency's minor unit (cents). */
  amountCents: number;
  currency: string;
}

export interface PacksResponse {
  packs: CreditPack[];
}

export interface PurchaseRequest {
  pack: string;
  /** 8 to 128 of [A-Za-z0-9_-], new for each purchase the user means to make. */
  idempotencyKey: string;
}

export interface WirePurchase {
  id: string;
  pack: string;
  credits: number;
  amountCents: number;
  currency: string;
  status: 'approved';
  createdAt: string;
}

/** The answer to a purchase; a replay of the same key returns the first answer unchanged. */
export interface PurchaseResponse {
  purchase: WirePurchase;
  user: WireUser;
  /** The active session (with its new endsAt), else the latest ended one, else null. */
  session: WireSession | null;
  serverTime: string;
}

export type LedgerReason = 'signup_grant' | 'session_charge' | 'top_up' | 'adjustment';

export interface WireLedgerEntry {
  id: string;
  sessionId: string | null;
  /** > 0 takes credits (a charge, a removal), < 0 adds them (a grant, a top-up). */
  creditsDeducted: number;
  /** The balance right after this row. */
  remainingCredits: number;
  reason: LedgerReason;
  /** The boundary a charge pays; for other rows when it happened. */
  timestamp: string;
  createdAt: string;
  /** The pack a top-up bought. */
  pack: string | null;
}

export type SessionHistoryResponse = Page<WireSession>;
export type LedgerResponse = Page<WireLedgerEntry>;

export interface UsageDay {
  /** The UTC day, YYYY-MM-DD. */
  date: string;
  /** Sessions started that day. */
  sessions: number;
  /** Credits charged by sessions for boundaries that fell on that day. */
  creditsSpent: number;
  /** Credits added that day (signup grant, top-ups, admin grants). */
  creditsAdded: number;
}

export interface UsageResponse {
  /** Oldest first, one entry per UTC day, today last, days without use included. */
  days: UsageDay[];
  periodMs: number;
}

export interface AdminUserSummary {
  id: string;
  email: string;
  credits: number;
  createdAt: string;
  isAdmin: boolean;
  hasActiveSession: boolean;
}

export type AdminUsersResponse = Page<AdminUserSummary>;

export interface AdminLedgerEntry extends WireLedgerEntry {
  /** The admin who made an adjustment, and the reason they gave. */
  actorId: string | null;
  actorEmail: string | null;
  note: string | null;
}

export type AdminActionKind = 'grant_credits' | 'remove_credits' | 'end_session' | 'view_user';

export interface AdminAction {
  id: string;
  adminId: string;
  adminEmail: string;
  action: AdminActionKind;
  targetUserId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}

export interface AdminUserResponse {
  user: AdminUserSummary;
  /** The active session, else the latest ended one, else null. */
  session: WireSession | null;
  /** The latest sessions, newest first (at most 10). */
  sessions: WireSession[];
  /** The latest ledger rows, newest first (at most 20). */
  ledger: AdminLedgerEntry[];
  /** The latest admin actions on this user, newest first (at most 20). */
  adminActions: AdminAction[];
  serverTime: string;
}

export interface AdminCreditsRequest {
  userId: string;
  /** Credits to add (> 0) or remove (< 0). */
  delta: number;
  /** Why, 3 to 200 characters: kept in the ledger row and the audit table. */
  reason: string;
}

export interface AdminCreditsResponse {
  user: WireUser;
  session: WireSession | null;
  entry: AdminLedgerEntry;
  serverTime: string;
}

export interface AdminSessionEndRequest {
  userId: string;
}

export interface AdminSystemResponse {
  serverTime: string;
  periodMs: number;
  activeSessions: number;
  /** Sessions in the Redis schedule (null when Redis did not answer). */
  scheduledSessions: number | null;
  /** Active sessions more than 10 s past their endsAt: the tick and the timer both failed. */
  overdueSessions: number;
  /** Session charges committed in the last 60 s. */
  chargesLastMinute: { rows: number; credits: number };
  /** Credits charged per minute over the last 15 minutes, oldest first (minute = its start). */
  chargesPerMinute: Array<{ minute: string; rows: number; credits: number }>;
  /** created_at − timestamp of the session charges of the last 5 minutes (null: none). */
  tickLatenessMs: { max: number | null; p95: number | null; samples: number };
  payments: { approvedLastHour: number; declinedLastHour: number };
}
