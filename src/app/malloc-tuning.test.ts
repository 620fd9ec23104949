import { describe, expect, it } from 'vitest';
import { MALLOC_ENV, mallocNotice } from './malloc-tuning.js';

describe('mallocNotice', () => {
  it('asks a DuckDB server on Linux started without the setting to set it', () => {
    const notice = mallocNotice({}, 'linux', 'duckdb');
    expect(notice).toContain('MALLOC_MMAP_THRESHOLD_=131072');
  });

  it('says nothing when the setting is there, off Linux, or for ClickHouse', () => {
    expect(mallocNotice({ ...MALLOC_ENV }, 'linux', 'duckdb')).toBeUndefined();
    expect(mallocNotice({ MALLOC_MMAP_THRESHOLD_: '262144' }, 'linux', 'duckdb')).toBeUndefined();
    expect(mallocNotice({}, 'darwin', 'duckdb')).toBeUndefined();
    expect(mallocNotice({}, 'linux', 'clickhouse')).toBeUndefined();
  });

  it('matches what npm start sets', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    for (const [name, value] of Object.entries(MALLOC_ENV)) expect(pkg.scripts.start).toContain(`${name}=${value} `);
  });
});
