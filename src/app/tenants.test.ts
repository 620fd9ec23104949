import { describe, expect, it } from 'vitest';
import type { TenantRuntime } from './tenant-runtime.js';
import { Tenants } from './tenants.js';

/**
 * The registry's bookkeeping with stand-in runtimes (the real ones, with DuckDB stores, are
 * exercised end to end in test/security/tenancy.test.ts).
 */
function fakeRuntime(tenant: string, stopped: string[]): TenantRuntime {
  return { tenant, stop: async () => void stopped.push(tenant) } as unknown as TenantRuntime;
}

describe('Tenants', () => {
  it('opens a tenant once, even for concurrent first requests, and keeps it', async () => {
    const opened: string[] = [];
    const tenants = new Tenants({ maxTenants: 10, open: async (t) => (opened.push(t), fakeRuntime(t, [])) });
    const [a1, a2] = await Promise.all([tenants.get('a'), tenants.get('a')]);
    const a3 = await tenants.get('a');
    expect(opened).toEqual(['a']);
    expect(a1.ok && a2.ok && a3.ok && a1.value === a2.value && a2.value === a3.value).toBe(true);
    expect(tenants.runtimes().map((r) => r.tenant)).toEqual(['a']);
  });

  it('refuses a tenant beyond maxTenants, but still serves the open ones', async () => {
    const tenants = new Tenants({ maxTenants: 2, open: async (t) => fakeRuntime(t, []) });
    expect((await tenants.get('a')).ok).toBe(true);
    expect((await tenants.get('b')).ok).toBe(true);
    const third = await tenants.get('c');
    expect(third.ok === false && third.refusal).toEqual({ kind: 'tenant-limit', message: expect.stringContaining('at most 2') });
    expect((await tenants.get('a')).ok).toBe(true);
  });

  it('forgets a failed opening so the next request tries again', async () => {
    let attempts = 0;
    const tenants = new Tenants({
      maxTenants: 1,
      open: async (t) => {
        attempts++;
        if (attempts === 1) throw new Error('disk full');
        return fakeRuntime(t, []);
      },
    });
    const first = await tenants.get('a');
    expect(first.ok === false && first.refusal).toEqual({ kind: 'unavailable', message: 'cannot open the store of tenant a: disk full' });
    expect((await tenants.get('a')).ok).toBe(true);
    expect(attempts).toBe(2);
  });

  it('stops every runtime, including one still opening, and refuses requests afterwards', async () => {
    const stopped: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const tenants = new Tenants({
      maxTenants: 5,
      open: async (t) => {
        if (t === 'slow') await slow;
        return fakeRuntime(t, stopped);
      },
    });
    await tenants.get('a');
    const pending = tenants.get('slow');
    const stopping = tenants.stop();
    release();
    await stopping;
    await pending;
    expect(stopped.sort()).toEqual(['a', 'slow']);
    const after = await tenants.get('a');
    expect(after.ok === false && after.refusal.kind).toBe('unavailable');
  });
});
