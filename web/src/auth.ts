import { useSyncExternalStore } from 'react';

/**
 * Who the UI queries as: a bearer token and a tenant (`X-Scope-OrgID`), both kept in
 * `sessionStorage` (gone when the tab closes, never sent anywhere but this server's API).
 * A `?tenant=` deep-link parameter sets the tenant. When the API answers 401, the sign-in form
 * is shown; signing in re-runs every query.
 */
const TOKEN_KEY = 'tributary.token';
const TENANT_KEY = 'tributary.tenant';

export interface Credentials {
  readonly token: string;
  readonly tenant: string;
}

function read(key: string): string {
  try {
    return window.sessionStorage.getItem(key) ?? '';
  } catch {
    return ''; // storage disabled: the user signs in again on each load
  }
}

function write(key: string, value: string): void {
  try {
    if (value === '') window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch {
    // storage disabled: credentials live until the page is left
  }
}

let current: Credentials = { token: '', tenant: '' };
/** Why the server refused the last request (its 401 message), or null when signed in or open. */
let signInReason: string | null = null;
/** Bumped by every sign-in and sign-out, so every query runs again with the new headers. */
let version = 0;
const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

/** Reads sessionStorage and the `?tenant=` of the URL the app was opened with. */
export function initCredentials(search: string): void {
  const fromUrl = new URLSearchParams(search).get('tenant');
  if (fromUrl !== null && fromUrl !== '') write(TENANT_KEY, fromUrl);
  current = { token: read(TOKEN_KEY), tenant: read(TENANT_KEY) };
}

export function credentials(): Credentials {
  return current;
}

/** Headers every API call sends. */
export function authHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  if (current.token !== '') headers.authorization = `Bearer ${current.token}`;
  if (current.tenant !== '') headers['x-scope-orgid'] = current.tenant;
  return headers;
}

export function signIn(credentials: Credentials): void {
  current = { token: credentials.token.trim(), tenant: credentials.tenant.trim() };
  write(TOKEN_KEY, current.token);
  write(TENANT_KEY, current.tenant);
  signInReason = null;
  version++;
  notify();
}

export function signOut(): void {
  signIn({ token: '', tenant: '' });
}

/** Called by the API client when the server answers 401. */
export function requireSignIn(reason: string): void {
  if (signInReason === reason) return;
  signInReason = reason;
  notify();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Changes with every sign-in and sign-out. */
export function useAuthVersion(): number {
  return useSyncExternalStore(subscribe, () => version);
}

export function useSignInReason(): string | null {
  return useSyncExternalStore(subscribe, () => signInReason);
}
