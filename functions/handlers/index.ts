// Every handler by its route-table `entry`, for the local gateway (the cloud bundles each file).
import { handler as adminCredits } from './admin-credits';
import { handler as adminSessionEnd } from './admin-session-end';
import { handler as adminSystem } from './admin-system';
import { handler as adminUser } from './admin-user';
import { handler as adminUsers } from './admin-users';
import { handler as authLogin } from './auth-login';
import { handler as authLogout } from './auth-logout';
import { handler as authSignup } from './auth-signup';
import { handler as creditsLedger } from './credits-ledger';
import { handler as creditsPacks } from './credits-packs';
import { handler as creditsPurchase } from './credits-purchase';
import { handler as creditsUsage } from './credits-usage';
import { handler as expire } from './expire';
import { handler as health } from './health';
import { handler as sessionHistory } from './session-history';
import { handler as sessionStart } from './session-start';
import { handler as sessionStatus } from './session-status';
import { handler as sessionStop } from './session-stop';
import { handler as tick } from './tick';
import { handler as userProfile } from './user-profile';
import { handler as wsConnect } from './ws-connect';
import { handler as wsDefault } from './ws-default';
import { handler as wsDisconnect } from './ws-disconnect';

export const httpHandlers = {
  'health': health,
  'auth-signup': authSignup,
  'auth-login': authLogin,
  'auth-logout': authLogout,
  'user-profile': userProfile,
  'session-start': sessionStart,
  'session-stop': sessionStop,
  'session-status': sessionStatus,
  'credits-packs': creditsPacks,
  'credits-purchase': creditsPurchase,
  'credits-ledger': creditsLedger,
  'credits-usage': creditsUsage,
  'session-history': sessionHistory,
  'admin-users': adminUsers,
  'admin-user': adminUser,
  'admin-credits': adminCredits,
  'admin-session-end': adminSessionEnd,
  'admin-system': adminSystem,
} as const;

export const wsHandlers = {
  'ws-connect': wsConnect,
  'ws-disconnect': wsDisconnect,
  'ws-default': wsDefault,
} as const;

export const backgroundHandlers = { tick, expire } as const;
