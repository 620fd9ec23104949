import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { backtraceGroupsSql } from './src/storage/duckdb/analytics/backtrace.js';
import { backtraceDetailsSql } from './src/storage/duckdb/analytics/details.js';
import { findTracesSql } from './src/storage/duckdb/analytics/traces.js';
import { serviceNeighbourhoodSql } from './src/storage/duckdb/analytics/neighbourhood.js';
import { flowGroupsSql } from './src/storage/duckdb/analytics/flow.js';
import { serviceSummariesSql } from './src/storage/duckdb/analytics/services.js';
const inst = await DuckDBInstance.create('/tmp/h6/copy/tributary.duckdb', { memory_limit: '2GB' });
const c = await inst.connect();
const W = { fromUnixNano: 1_767_225_600_000_000_000n, toUnixNano: 1_767_225_600_000_000_000n + 3_600_000n * 1_000_000n };
const which = process.argv[2] ?? 'chain';
const st = which === 'chain' ? backtraceGroupsSql({ ...W, service: { kind: 'service', name: 'payment' }, chain: [{ name: 'frontend' }, { name: 'checkout' }] })
  : which === 'details' ? backtraceDetailsSql({ ...W, service: { kind: 'service', name: 'product-catalog' } }, [{ kind: 'service', name: 'frontend' }], 10)
  : which === 'traces' ? findTracesSql({ ...W, limit: 20 })
  : which === 'traces-svc' ? findTracesSql({ ...W, service: { kind: 'service', name: 'payment' }, failedOnly: true, limit: 20 })
  : which === 'hood' ? serviceNeighbourhoodSql({ ...W, service: { kind: 'service', name: 'checkout' } })
  : which === 'services' ? serviceSummariesSql(W)
  : flowGroupsSql({ ...W, service: { kind: 'service', name: 'frontend-proxy' } });
const times: number[] = [];
for (let i = 0; i < 5; i++) { const t = performance.now(); await c.runAndReadAll(st.sql, st.params.values as any, st.params.types as any); times.push(performance.now() - t); }
console.log('runs ms', times.map((t) => t.toFixed(0)).join(' '));
await c.run(`PRAGMA enable_profiling = 'json'`); await c.run(`PRAGMA profiling_output = '/tmp/h6/prof.json'`);
await c.runAndReadAll(st.sql, st.params.values as any, st.params.types as any);
await c.run(`PRAGMA disable_profiling`);
const prof = JSON.parse(readFileSync('/tmp/h6/prof.json', 'utf8'));
const walk = (n: any, d: number) => { const t = n.operator_timing ?? n.latency ?? 0; if (d < 40) console.log(' '.repeat(d * 2) + (n.operator_type ?? 'ROOT'), t.toFixed(4), 'rows', n.operator_cardinality, (n.extra_info && JSON.stringify(n.extra_info).slice(0, 140)) || ''); for (const ch of n.children ?? []) walk(ch, d + 1); };
walk(prof, 0);
