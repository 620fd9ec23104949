import { DuckDBInstance } from '@duckdb/node-api';
import { flowGroupsSql } from './src/storage/duckdb/analytics/flow.js';
import { serviceSummariesSql } from './src/storage/duckdb/analytics/services.js';
import { serviceNeighbourhoodSql } from './src/storage/duckdb/analytics/neighbourhood.js';
import { findTracesSql } from './src/storage/duckdb/analytics/traces.js';
const inst = await DuckDBInstance.create('/tmp/h6/copy/tributary.duckdb', { memory_limit: '2GB' });
const c = await inst.connect();
const W = { fromUnixNano: 1_767_225_600_000_000_000n, toUnixNano: 1_767_225_600_000_000_000n + 3_600_000n * 1_000_000n };
const which = process.argv[2] ?? 'flow';
const st = which === 'flow' ? flowGroupsSql({ ...W, service: { kind: 'service', name: 'frontend-proxy' } })
  : which === 'services' ? serviceSummariesSql(W)
  : which === 'hood' ? serviceNeighbourhoodSql({ ...W, service: { kind: 'service', name: 'checkout' } })
  : findTracesSql({ ...W, limit: 20 });
for (let i = 0; i < 2; i++) { const t = performance.now(); await c.runAndReadAll(st.sql, st.params.values as any, st.params.types as any); console.log('run ms', (performance.now() - t).toFixed(1)); }
await c.run(`PRAGMA enable_profiling = 'json'`); await c.run(`PRAGMA profiling_output = '/tmp/h6/prof.json'`);
await c.runAndReadAll(st.sql, st.params.values as any, st.params.types as any);
await c.run(`PRAGMA disable_profiling`);
import { readFileSync } from 'node:fs';
const prof = JSON.parse(readFileSync('/tmp/h6/prof.json', 'utf8'));
const walk = (n: any, d: number) => { console.log(' '.repeat(d * 2) + (n.operator_type ?? n.operator_name ?? 'ROOT'), (n.operator_timing ?? n.latency ?? 0).toFixed?.(4), 'rows', n.operator_cardinality, (n.extra_info && JSON.stringify(n.extra_info).slice(0, 160)) || ''); for (const ch of n.children ?? []) walk(ch, d + 1); };
walk(prof, 0);
