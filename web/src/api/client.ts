// The typed API client (openapi-fetch over the generated schema) and the session: the access
// token lives in memory, the refresh token in localStorage so every tab shares one session.
import createClient from "openapi-fetch";
import type { paths } from "./schema";

const REFRESH_KEY = "trackpacks.refresh";

export const api = createClient<paths>({ baseUrl: window.location.origin });

let accessToken: string | null = null;
const listeners = new Set<() => void>();

export function isLoggedIn(): boolean {
  return localStorage.getItem(REFRESH_KEY) !== null;
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  listeners.forEach((listener) => listener());
}

export function startSession(tokens: { access: string; refresh: string }): void {
  accessToken = tokens.access;
  localStorage.setItem(REFRESH_KEY, tokens.refresh);
  notify();
}

export function endSession(): void {
  accessToken = null;
  localStorage.removeItem(REFRESH_KEY);
  notify();
}

// Another tab rotated the refresh token or logged out: follow it.
window.addEventListener("storage", (event) => {
  if (event.key !== REFRESH_KEY) return;
  accessToken = null;
  notify();
});

api.use({
  onRequest({ request }) {
    if (accessToken) request.headers.set("Authorization", `Bearer ${accessToken}`);
    return request;
  },
});

/** Trades the shared refresh token for a new pair, one tab at a time (Web Locks). */
async function refreshSession(): Promise<boolean> {
  const refreshOnce = async (): Promise<boolean> => {
    const refresh = localStorage.getItem(REFRESH_KEY);
    if (!refresh) return false;
    const { data, response } = await api.POST("/api/v1/auth/refresh/", { body: { refresh } });
    if (data) {
      startSession(data);
      return true;
    }
    // A tab that lost the race holds a rotated token: the winner already stored the new one.
    if (localStorage.getItem(REFRESH_KEY) !== refresh) return refreshOnce();
    if (response.status === 401) endSession();
    return false;
  };
  if (!navigator.locks) return refreshOnce();
  return navigator.locks.request("trackpacks-refresh", refreshOnce);
}

/** Runs an authenticated call; on 401 refreshes the session once and runs it again. */
export async function authed<T extends { response: Response }>(call: () => Promise<T>): Promise<T> {
  if (!accessToken && isLoggedIn()) await refreshSession();
  const first = await call();
  if (first.response.status !== 401 || !isLoggedIn()) return first;
  return (await refreshSession()) ? call() : first;
}

export async function logout(): Promise<void> {
  const refresh = localStorage.getItem(REFRESH_KEY);
  if (refresh) await authed(() => api.POST("/api/v1/auth/logout/", { body: { refresh } }));
  endSession();
}

export function idempotencyKey(): string {
  return crypto.randomUUID();
}
