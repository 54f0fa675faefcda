// The only import from outside web/: the shapes shared with the API and WebSocket.
export type {
  AuthResponse,
  EndReason,
  ErrorMessage,
  ServerMessage,
  SessionEndedMessage,
  SessionResponse,
  SessionUpdateMessage,
  SiteConfig,
  StatusResponse,
  WireError,
  WireSession,
  WireUser,
} from '../../functions/wire';
