import { DuckDBInstance } from '@duckdb/node-api';
import { backtraceGroupsSql } from './src/storage/duckdb/analytics/backtrace.js';
const dir = '/tmp/tributary-bench-query/otel-demo-1000000-v1/tributary.duckdb';
const inst = await DuckDBInstance.create(dir, { memory_limit: '2GB' });
const c = await inst.connect();
const W = { fromUnixNano: 1_767_225_600_000_000_000n, toUnixNano: 1_767_225_600_000_000_000n + 3_600_000n * 1_000_000n };
const st = backtraceGroupsSql({ ...W, service: { kind: 'service', name: 'product-catalog' } });
const sqlArg = process.argv[2];
for (let i = 0; i < 3; i++) { const t = performance.now(); await c.runAndReadAll(st.sql, st.params.values as any, st.params.types as any); console.log('run ms', performance.now() - t); }
const r = await c.runAndReadAll('EXPLAIN ANALYZE ' + st.sql, st.params.values as any, st.params.types as any);
console.log(r.getRows().map((x) => x[1]).join('\n'));
const q = async (s: string) => { const t = performance.now(); const rr = await c.runAndReadAll(s); console.log((performance.now() - t).toFixed(1), 'ms', s.slice(0, 150), JSON.stringify(rr.getRows().slice(0, 3), (_k, v) => typeof v === 'bigint' ? v.toString() : v)); };
await q(`SELECT count(*) FROM calls`);
await q(`SELECT count(*) FROM calls WHERE kind = 'service' AND service = 'product-catalog'`);
await q(`SELECT path_kinds, path_names, path_requests, request, count(*) FROM calls WHERE kind = 'service' AND service = 'product-catalog' GROUP BY ALL`);
await q(`SELECT count(*) FROM (SELECT path_names, count(*) FROM calls WHERE kind = 'service' AND service = 'product-catalog' GROUP BY ALL)`);
await q(`SELECT count(*) FROM (SELECT hash(path_kinds, path_names, path_requests, request) h, count(*) FROM calls WHERE kind = 'service' AND service = 'product-catalog' GROUP BY ALL)`);
await q(`SELECT count(*) FROM (SELECT path_kinds::VARCHAR || path_names::VARCHAR || path_requests::VARCHAR || request h, count(*) FROM calls WHERE kind = 'service' AND service = 'product-catalog' GROUP BY ALL)`);
await q(`SELECT count(*), sum(len(path_names)) FROM calls WHERE kind = 'service' AND service = 'product-catalog'`);
