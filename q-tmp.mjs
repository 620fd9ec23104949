import { DuckDBInstance } from '@duckdb/node-api';
const [dir, ...qs] = process.argv.slice(2);
const inst = await DuckDBInstance.create(dir, { access_mode: 'READ_ONLY' });
const c = await inst.connect();
for (const q of qs) { const t = performance.now(); const r = await c.runAndReadAll(q); console.log(q.slice(0,100), (performance.now()-t).toFixed(1)+'ms'); console.table(r.getRowObjectsJson().slice(0,40)); }
