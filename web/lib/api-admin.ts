// The admin console's endpoints (docs/API-CREDITS-ADMIN.md): admins only, 403 for anyone else.
import { request } from './api';
import { query } from './api-credits';
import type { AdminCreditsResponse, AdminSystemResponse, AdminUserResponse, AdminUsersResponse, SessionResponse } from './wire';

export function adminSearchUsers(token: string, q: string, cursor: string | null, limit = 20): Promise<AdminUsersResponse> {
  return request<AdminUsersResponse>(`/admin/users${query({ q, cursor, limit })}`, { token });
}

export function adminFetchUser(token: string, id: string): Promise<AdminUserResponse> {
  return request<AdminUserResponse>(`/admin/user${query({ id })}`, { token });
}

/** `delta` > 0 grants credits, < 0 removes them; `reason` goes into the ledger and the audit table. */
export function adminAdjustCredits(token: string, userId: string, delta: number, reason: string): Promise<AdminCreditsResponse> {
  return request<AdminCreditsResponse>('/admin/credits', { method: 'POST', token, body: { userId, delta, reason } });
}

export function adminEndSession(token: string, userId: string): Promise<SessionResponse> {
  return request<SessionResponse>('/admin/session/end', { method: 'POST', token, body: { userId } });
}

export function adminFetchSystem(token: string): Promise<AdminSystemResponse> {
  return request<AdminSystemResponse>('/admin/system', { token });
}
