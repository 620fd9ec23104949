import { DuckDBInstance, VARCHAR, BIGINT } from '@duckdb/node-api';
const inst = await DuckDBInstance.create('/tmp/h6/copy/tributary.duckdb', { memory_limit: '2GB' });
const c = await inst.connect();
const P = ['service', 'product-catalog', 1767225600000000000n, 1767229200000000000n];
const T = [VARCHAR, VARCHAR, BIGINT, BIGINT];
const q = async (label: string, s: string) => { const times: number[] = []; let rows: any; for (let i = 0; i < 8; i++) { const t = performance.now(); rows = (await c.runAndReadAll(s, P as any, T as any)).getRows(); times.push(performance.now() - t); } times.sort((a, b) => a - b); console.log(label.padEnd(40), 'min', times[0]!.toFixed(1), 'med', times[4]!.toFixed(1), 'rows', rows.length); };
const cols = (await c.runAndReadAll(`SELECT column_name FROM information_schema.columns WHERE table_name = 'calls'`)).getRows().flat();
if (!cols.includes('path_key')) {
  const t = performance.now();
  await c.run(`CREATE TABLE calls2 AS SELECT *, hash(path_kinds, path_names, path_requests) AS path_key FROM calls`);
  await c.run(`CHECKPOINT`);
  console.log('built in', performance.now() - t);
}
const WP = `kind = $1 AND service = $2 AND start_time_ns >= $3 AND start_time_ns < $4`;
await q('baseline lists on calls2', `SELECT path_kinds, path_names, path_requests, request, count(*), count(*) FILTER (WHERE failed) FROM calls2 WHERE ${WP} GROUP BY ALL`);
await q('key group only', `SELECT path_key, request, count(*), count(*) FILTER (WHERE failed), min(rowid) FROM calls2 WHERE ${WP} GROUP BY ALL`);
await q('key group + rep lists by rowid', `WITH g AS (SELECT path_key, request, count(*) n, count(*) FILTER (WHERE failed) f, min(rowid) rep FROM calls2 WHERE ${WP} GROUP BY ALL) SELECT c.path_kinds, c.path_names, c.path_requests, g.request, n, f FROM g JOIN calls2 c ON c.rowid = g.rep`);
await q('key group + any_value lists', `SELECT any_value(path_kinds), any_value(path_names), any_value(path_requests), request, count(*), count(*) FILTER (WHERE failed) FROM calls2 WHERE ${WP} GROUP BY path_key, request`);
