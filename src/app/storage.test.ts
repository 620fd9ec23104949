import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tenantDataDir, tenantDatabase } from './storage.js';

describe('where a tenant\'s data lives', () => {
  it('DuckDB: <dataDir>/tenants/<id>, and dataDir itself without tenancy', () => {
    expect(tenantDataDir('/var/lib/tributary', 'acme')).toBe(path.join('/var/lib/tributary', 'tenants', 'acme'));
    expect(tenantDataDir('/var/lib/tributary', undefined)).toBe('/var/lib/tributary');
  });

  it('ClickHouse: <database>_<id> as a plain identifier, never the same for two tenants', () => {
    expect(tenantDatabase('tributary', undefined)).toBe('tributary');
    expect(tenantDatabase('tributary', 'acme')).toBe('tributary_acme');
    const tenants = ['a-b', 'a_b', 'a_db', 'a__b', 'a-', 'a_', '-', '_', 'a_d', 'a-d', 'A1'];
    const names = tenants.map((t) => tenantDatabase('tributary', t));
    for (const name of names) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    expect(new Set(names).size).toBe(tenants.length);
  });
});
