// The one route table. The local gateway (infra/local) and the CDK stack (infra/cdk) are both
// generated from it, so the two cannot drift. `entry` names a file in functions/handlers/
// exporting `handler`; `needs` says which outside services the function calls, which the
// stack turns into exactly those grants.
export type Need = 'database' | 'redis' | 'push' | 'timers';

export interface HttpRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /** Construct id stem in the cloud stack: never change it (a rename replaces the function). */
  readonly id: string;
  readonly entry: string;
  readonly needs: readonly Need[];
}

export interface WsRoute {
  readonly routeKey: '$connect' | '$disconnect' | '$default';
  readonly id: string;
  readonly entry: string;
  readonly needs: readonly Need[];
}

export interface BackgroundFunction {
  readonly id: string;
  readonly entry: string;
  readonly needs: readonly Need[];
}

const all: readonly Need[] = ['database', 'redis', 'push', 'timers'];

export const httpRoutes: readonly HttpRoute[] = [
  { method: 'GET', path: '/api/health', id: 'Health', entry: 'health', needs: ['database', 'redis'] },
  { method: 'POST', path: '/api/auth/signup', id: 'AuthSignup', entry: 'auth-signup', needs: ['database', 'redis'] },
  { method: 'POST', path: '/api/auth/login', id: 'AuthLogin', entry: 'auth-login', needs: ['database', 'redis'] },
  { method: 'POST', path: '/api/auth/logout', id: 'AuthLogout', entry: 'auth-logout', needs: ['database', 'redis'] },
  { method: 'GET', path: '/api/user/profile', id: 'UserProfile', entry: 'user-profile', needs: ['database', 'redis', 'push'] },
  { method: 'POST', path: '/api/session/start', id: 'SessionStart', entry: 'session-start', needs: all },
  { method: 'POST', path: '/api/session/stop', id: 'SessionStop', entry: 'session-stop', needs: all },
  { method: 'GET', path: '/api/session/status', id: 'SessionStatus', entry: 'session-status', needs: ['database', 'redis', 'push'] },
  // Top-ups, history and the admin console (docs/API-CREDITS-ADMIN.md). The admin routes take
  // their target in the query string or body: the gateway and the CDK match exact paths.
  { method: 'GET', path: '/api/credits/packs', id: 'CreditsPacks', entry: 'credits-packs', needs: [] },
  { method: 'POST', path: '/api/credits/purchase', id: 'CreditsPurchase', entry: 'credits-purchase', needs: all },
  { method: 'GET', path: '/api/credits/ledger', id: 'CreditsLedger', entry: 'credits-ledger', needs: ['database'] },
  { method: 'GET', path: '/api/credits/usage', id: 'CreditsUsage', entry: 'credits-usage', needs: ['database'] },
  { method: 'GET', path: '/api/session/history', id: 'SessionHistory', entry: 'session-history', needs: ['database'] },
  { method: 'GET', path: '/api/admin/users', id: 'AdminUsers', entry: 'admin-users', needs: ['database'] },
  { method: 'GET', path: '/api/admin/user', id: 'AdminUser', entry: 'admin-user', needs: ['database'] },
  { method: 'POST', path: '/api/admin/credits', id: 'AdminCredits', entry: 'admin-credits', needs: all },
  { method: 'POST', path: '/api/admin/session/end', id: 'AdminSessionEnd', entry: 'admin-session-end', needs: all },
  { method: 'GET', path: '/api/admin/system', id: 'AdminSystem', entry: 'admin-system', needs: ['database', 'redis'] },
];

export const wsRoutes: readonly WsRoute[] = [
  { routeKey: '$connect', id: 'WsConnect', entry: 'ws-connect', needs: ['database', 'redis'] },
  { routeKey: '$disconnect', id: 'WsDisconnect', entry: 'ws-disconnect', needs: ['redis'] },
  { routeKey: '$default', id: 'WsDefault', entry: 'ws-default', needs: ['database', 'redis', 'push'] },
];

/** Invoked by EventBridge Scheduler: the tick every minute, the expire handler per session. */
export const tickFunction: BackgroundFunction = { id: 'Tick', entry: 'tick', needs: all };
export const expireFunction: BackgroundFunction = { id: 'Expire', entry: 'expire', needs: all };
