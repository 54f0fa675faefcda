// Top-ups and history (docs/API-CREDITS-ADMIN.md). Apart from lib/api.ts so the dashboard's
// bundle carries only what it calls.
import { request } from './api';
import type { LedgerResponse, PacksResponse, PurchaseResponse, SessionHistoryResponse, UsageResponse } from './wire';

/** `?a=1&b=2` from the values that are set; empty strings and nulls are left out. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

export function fetchPacks(): Promise<PacksResponse> {
  return request<PacksResponse>('/credits/packs');
}

/** The same `idempotencyKey` always answers the first purchase made with it: retries are safe. */
export function purchaseCredits(token: string, pack: string, idempotencyKey: string): Promise<PurchaseResponse> {
  return request<PurchaseResponse>('/credits/purchase', { method: 'POST', token, body: { pack, idempotencyKey } });
}

export function fetchSessionHistory(token: string, cursor: string | null, limit = 20): Promise<SessionHistoryResponse> {
  return request<SessionHistoryResponse>(`/session/history${query({ cursor, limit })}`, { token });
}

export function fetchLedger(token: string, cursor: string | null, limit = 20): Promise<LedgerResponse> {
  return request<LedgerResponse>(`/credits/ledger${query({ cursor, limit })}`, { token });
}

export function fetchUsage(token: string, days = 30): Promise<UsageResponse> {
  return request<UsageResponse>(`/credits/usage${query({ days })}`, { token });
}

