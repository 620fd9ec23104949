import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import { authHeaders, requireSignIn, useAuthVersion } from './auth.js';

/** What a view shows for one API request: a discriminated union, so no state is forgotten. */
export type Loadable<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ok'; readonly data: T }
  | { readonly state: 'error'; readonly status: number; readonly code: string; readonly message: string };

/** `/api/v1/<path>?<params>`; undefined, null and empty values are left out. */
export function apiUrl(path: string, params: Readonly<Record<string, string | null | undefined>> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(name, value);
  const text = query.toString();
  return `/api/v1/${path}${text === '' ? '' : `?${text}`}`;
}

/** The API's error body: `{ "error": { "code", "message" } }` (docs/api.md). */
function errorFrom(status: number, body: unknown): Loadable<never> {
  const error = typeof body === 'object' && body !== null ? (body as { error?: { code?: unknown; message?: unknown } }).error : undefined;
  return {
    state: 'error',
    status,
    code: typeof error?.code === 'string' ? error.code : `http_${status}`,
    message: typeof error?.message === 'string' ? error.message : `the server answered ${status}`,
  };
}

/** API requests in flight, for `aria-busy` on the page (and for tests that wait for a settled view). */
let pending = 0;
const pendingListeners = new Set<() => void>();

function setPending(delta: number): void {
  pending += delta;
  for (const listener of pendingListeners) listener();
}

export function usePendingRequests(): number {
  return useSyncExternalStore(
    (listener) => {
      pendingListeners.add(listener);
      return () => pendingListeners.delete(listener);
    },
    () => pending,
  );
}

export async function fetchJson<T>(url: string, signal?: AbortSignal): Promise<Loadable<T>> {
  setPending(1);
  try {
    return await fetchJsonOnce<T>(url, signal);
  } finally {
    setPending(-1);
  }
}

async function fetchJsonOnce<T>(url: string, signal?: AbortSignal): Promise<Loadable<T>> {
  let response: Response;
  try {
    response = await fetch(url, { signal: signal ?? null, headers: { accept: 'application/json', ...authHeaders() } });
  } catch (error) {
    if (signal?.aborted) throw error;
    return { state: 'error', status: 0, code: 'network', message: `cannot reach the Tributary server (${error instanceof Error ? error.message : String(error)})` };
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return errorFrom(response.status, undefined);
  }
  if (response.ok) return { state: 'ok', data: body as T };
  const failure = errorFrom(response.status, body);
  // 401: a token (or, on a multi-tenant server, a tenant) is needed: the app shows the sign-in form.
  if (response.status === 401 && failure.state === 'error') requireSignIn(failure.message);
  return failure;
}

/** Bumped by the Refresh button: every `useApi` fetches again (relative windows move with now). */
export const RefreshContext = createContext(0);

/** Fetches `url` (null: nothing to fetch yet) whenever it or the refresh counter changes. */
export function useApi<T>(url: string | null): Loadable<T> {
  const refresh = useContext(RefreshContext);
  const signedIn = useAuthVersion();
  const key = url === null ? null : `${refresh}:${signedIn}:${url}`;
  const [result, setResult] = useState<{ readonly key: string; readonly value: Loadable<T> } | undefined>(undefined);
  useEffect(() => {
    if (key === null || url === null) return undefined;
    const controller = new AbortController();
    fetchJson<T>(url, controller.signal).then(
      (value) => setResult({ key, value }),
      () => undefined, // aborted: a newer request owns the state
    );
    return () => controller.abort();
  }, [key, url]);
  return result !== undefined && result.key === key ? result.value : { state: 'loading' };
}
