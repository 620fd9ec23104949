import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
const [dir, file] = process.argv.slice(2);
const inst = await DuckDBInstance.create(dir, { threads: '2', memory_limit: '2GB' });
const c = await inst.connect();
for (const q of fs.readFileSync(file, 'utf8').split(';;').map(s => s.trim()).filter(Boolean)) { const t = performance.now(); const r = await c.runAndReadAll(q); console.log(q.replace(/\s+/g,' ').slice(0,90), (performance.now()-t).toFixed(1)+'ms'); const rows = r.getRowObjectsJson(); if (rows.length) console.table(rows.slice(0,12)); }
