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
}

export interface SessionUpdateMessage {
  type: 'session.update';
  session: WireSession | null;
  user: WireUser;
  serverTime: string;
}

export interface SessionEndedMessage {
  type: 'session.ended';
  session: WireSession;
  user: WireUser;
  reason: EndReason;
  serverTime: string;
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
