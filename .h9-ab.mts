// A/B of statement builders on one store, interleaved: tsx .h9-ab.mts DATADIR query [runs]
import { DuckDBInstance } from '@duckdb/node-api';
import { SerialConnection } from '/work/main/src/storage/duckdb/connection.ts';
import * as newBt from '/work/main/src/storage/duckdb/analytics/backtrace.ts';
import * as newDt from '/work/main/src/storage/duckdb/analytics/details.ts';
import * as newFl from '/work/main/src/storage/duckdb/analytics/flow.ts';
import * as newNb from '/work/main/src/storage/duckdb/analytics/neighbourhood.ts';
import * as oldBt from '/tmp/h9/base/src/storage/duckdb/analytics/backtrace.ts';
import * as oldDt from '/tmp/h9/base/src/storage/duckdb/analytics/details.ts';
import * as oldFl from '/tmp/h9/base/src/storage/duckdb/analytics/flow.ts';
import * as oldNb from '/tmp/h9/base/src/storage/duckdb/analytics/neighbourhood.ts';
const W0 = 1_767_225_600_000_000_000n;
const W = { fromUnixNano: W0, toUnixNano: W0 + 3_600_000n * 1_000_000n };
const svc = (name: string, kind: any = 'service') => ({ kind, name });
const make = (bt: any, dt: any, fl: any, nb: any): Record<string, () => any> => ({
  backtrace: () => bt.backtraceGroupsSql({ ...W, service: svc('product-catalog') }),
  db: () => bt.backtraceGroupsSql({ ...W, service: svc('astronomy-db', 'database') }),
  chain: () => bt.backtraceGroupsSql({ ...W, service: svc('payment'), chain: [{ name: 'frontend' }, { name: 'checkout' }] }),
  details: () => dt.backtraceDetailsSql({ ...W, service: svc('product-catalog') }, [{ kind: 'service', name: 'frontend' }], 10),
  flow: () => fl.flowGroupsSql({ ...W, service: svc('frontend-proxy') }),
  neighbourhood: () => nb.serviceNeighbourhoodSql({ ...W, service: svc('checkout') }),
});
const variants = { old: make(oldBt, oldDt, oldFl, oldNb), new: make(newBt, newDt, newFl, newNb) };
const [dir, which] = [process.argv[2]!, process.argv[3]!];
const runs = Number(process.argv[4] ?? 20);
const inst = await DuckDBInstance.create(`${dir}/tributary.duckdb`, { memory_limit: '2GB' });
const conn = new SerialConnection(await inst.connect());
const times: Record<string, number[]> = { old: [], new: [] };
const results: Record<string, string> = {};
for (let i = 0; i < runs + 2; i++) {
  for (const v of ['old', 'new'] as const) {
    const st = variants[v][which]!();
    const t = performance.now();
    const rows = (await conn.query(st.sql, st.params.values, st.params.types)).getRows();
    if (i >= 2) times[v]!.push(performance.now() - t);
    results[v] = `${rows.length} rows`;
  }
}
const p50 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(1);
console.log(`${which}: old p50 ${p50(times.old!)} ms (${results.old}), new p50 ${p50(times.new!)} ms (${results.new})`);
conn.close(); inst.closeSync();
