import { describe, expect, it } from 'vitest';
import { INVALID_TOKEN, TokenSet, bearerToken, checkTenant, wwwAuthenticate } from './access.js';

describe('TokenSet', () => {
  it('accepts everything when no token is configured (that side is open)', () => {
    const open = new TokenSet([]);
    expect(open.open).toBe(true);
    expect(open.accepts(undefined)).toBe(true);
    expect(open.accepts('Bearer anything')).toBe(true);
  });

  it('accepts any configured token, with the scheme in any case, and nothing else', () => {
    const tokens = new TokenSet(['first-token-0123456789', 'second-token-0123456789']);
    expect(tokens.accepts('Bearer first-token-0123456789')).toBe(true);
    expect(tokens.accepts('bearer second-token-0123456789')).toBe(true);
    expect(tokens.accepts('BEARER second-token-0123456789')).toBe(true);
    expect(tokens.accepts(undefined)).toBe(false);
    expect(tokens.accepts('')).toBe(false);
    expect(tokens.accepts('first-token-0123456789')).toBe(false);
    expect(tokens.accepts('Basic Zmlyc3QtdG9rZW4=')).toBe(false);
    expect(tokens.accepts('Bearer first-token-012345678')).toBe(false);
    expect(tokens.accepts('Bearer first-token-01234567890')).toBe(false);
    expect(tokens.accepts('Bearer first-token-0123456789 second-token-0123456789')).toBe(false);
  });

  it('tells a missing token from a wrong one, and only the wrong one gets error="invalid_token"', () => {
    const missing = TokenSet.refusal(undefined);
    const wrong = TokenSet.refusal('Bearer nope');
    expect(missing).toEqual({ kind: 'unauthenticated', message: 'missing bearer token (Authorization: Bearer <token>)' });
    expect(wrong).toEqual({ kind: 'unauthenticated', message: INVALID_TOKEN });
    expect(wwwAuthenticate(missing)).toBe('Bearer realm="tributary"');
    expect(wwwAuthenticate(wrong)).toBe('Bearer realm="tributary", error="invalid_token"');
  });

  it('reads the token of an Authorization header', () => {
    expect(bearerToken('Bearer abc.def-_~+/=')).toBe('abc.def-_~+/=');
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer  ')).toBeUndefined();
  });
});

describe('checkTenant', () => {
  it('requires a tenant and accepts letters, digits, _ and - up to 64 characters', () => {
    expect(checkTenant('acme')).toEqual({ ok: true, value: 'acme' });
    expect(checkTenant('Team_2-prod')).toEqual({ ok: true, value: 'Team_2-prod' });
    expect(checkTenant('a'.repeat(64)).ok).toBe(true);
    const missing = checkTenant(undefined);
    expect(missing.ok === false && missing.refusal).toEqual({ kind: 'unauthenticated', message: expect.stringMatching(/^missing X-Scope-OrgID/) });
    expect(checkTenant('').ok).toBe(false);
  });

  it.each(['../etc', 'a/b', 'a.b', 'a b', 'a'.repeat(65), 'tenant|other', 'ünï', "x'; DROP TABLE spans; --"])('refuses %j as invalid', (tenant) => {
    const checked = checkTenant(tenant);
    expect(checked.ok === false && checked.refusal.kind).toBe('invalid-tenant');
  });
});
