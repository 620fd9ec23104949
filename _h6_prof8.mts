import { DuckDBInstance, VARCHAR, BIGINT } from '@duckdb/node-api';
const inst = await DuckDBInstance.create('/tmp/h6/copy/tributary.duckdb', { memory_limit: '2GB' });
const c = await inst.connect();
const P = [1767225600000000000n, 1767229200000000000n];
const T = [BIGINT, BIGINT];
const q = async (label: string, s: string) => { const times: number[] = []; let rows: any; for (let i = 0; i < 4; i++) { const t = performance.now(); rows = (await c.runAndReadAll(s, P as any, T as any)).getRows(); times.push(performance.now() - t); } times.sort((a, b) => a - b); console.log(label.padEnd(40), 'min', times[0]!.toFixed(1), 'med', times[2]!.toFixed(1), 'rows', rows.length); };
const counted = `counted AS MATERIALIZED (SELECT c.trace_id, c.call_id, c.synthetic, c.kind, c.service, c.failed, c.duration_ns, c.instance, c.k8s_namespace, c.k8s_workload, c.k8s_node, c.path_kinds[c.depth] AS caller_kind, c.path_names[c.depth] AS caller_name FROM calls c WHERE c.start_time_ns >= $1 AND c.start_time_ns < $2)`;
await q('counted only', `WITH ${counted} SELECT count(*) FROM counted`);
await q('summary list pct', `WITH ${counted} SELECT kind, service, count(*), list_sort(list(duration_ns))[greatest(1, ceil(0.5::DOUBLE * count(*))::BIGINT)], list_sort(list(duration_ns))[greatest(1, ceil(0.9::DOUBLE * count(*))::BIGINT)] FROM counted GROUP BY ALL`);
await q('summary quantile_disc', `WITH ${counted} SELECT kind, service, count(*), quantile_disc(duration_ns, 0.5), quantile_disc(duration_ns, 0.9), quantile_disc(duration_ns, 0.99) FROM counted GROUP BY ALL`);
await q('distinct aggs inline', `WITH ${counted} SELECT kind, service, count(DISTINCT (caller_kind, caller_name)) FILTER (WHERE caller_kind IS NOT NULL), count(DISTINCT instance), list(DISTINCT k8s_namespace) FILTER (WHERE k8s_namespace IS NOT NULL), list(DISTINCT k8s_workload) FILTER (WHERE k8s_workload IS NOT NULL), list(DISTINCT k8s_node) FILTER (WHERE k8s_node IS NOT NULL) FROM counted GROUP BY ALL`);
await q('distinct via subqueries', `WITH ${counted},
 a AS (SELECT kind, service, count(*) n FROM (SELECT DISTINCT kind, service, caller_kind, caller_name FROM counted WHERE caller_kind IS NOT NULL) GROUP BY ALL),
 b AS (SELECT kind, service, count(*) n FROM (SELECT DISTINCT kind, service, instance FROM counted WHERE instance IS NOT NULL) GROUP BY ALL),
 d AS (SELECT kind, service, list(k8s_namespace) n FROM (SELECT DISTINCT kind, service, k8s_namespace FROM counted WHERE k8s_namespace IS NOT NULL) GROUP BY ALL)
 SELECT * FROM a FULL JOIN b USING (kind, service) FULL JOIN d USING (kind, service)`);
await q('callees join', `WITH ${counted} SELECT c.kind, c.service, count(DISTINCT (x.kind, x.service)) FROM counted c JOIN calls x ON x.trace_id = c.trace_id AND x.path_call_ids[x.depth] = c.call_id WHERE NOT c.synthetic GROUP BY ALL`);
await q('callees join distinct first', `WITH ${counted} SELECT kind, service, count(*) FROM (SELECT DISTINCT c.kind, c.service, x.kind AS xk, x.service AS xs FROM counted c JOIN calls x ON x.trace_id = c.trace_id AND x.path_call_ids[x.depth] = c.call_id WHERE NOT c.synthetic) GROUP BY ALL`);
await q('callees join callers side', `WITH ${counted}, parents AS (SELECT trace_id, call_id, kind, service FROM counted WHERE NOT synthetic), kids AS (SELECT trace_id, path_call_ids[depth] AS caller_id, kind, service FROM calls WHERE depth > 0) SELECT kind, service, count(*) FROM (SELECT DISTINCT p.kind, p.service, k.kind AS xk, k.service AS xs FROM parents p JOIN kids k ON k.trace_id = p.trace_id AND k.caller_id = p.call_id) GROUP BY ALL`);
const W = `start_time_ns >= $1 AND start_time_ns < $2`;
await q('direct summary qd', `SELECT kind, service, count(*), count(*) FILTER (WHERE failed), quantile_disc(duration_ns, 0.5), quantile_disc(duration_ns, 0.9), quantile_disc(duration_ns, 0.99) FROM calls WHERE ${W} GROUP BY ALL`);
await q('direct distinct instance', `SELECT kind, service, count(DISTINCT instance) FROM calls WHERE ${W} GROUP BY ALL`);
await q('direct distinct ns/wl/node', `SELECT kind, service, list(DISTINCT k8s_namespace), list(DISTINCT k8s_workload), list(DISTINCT k8s_node) FROM calls WHERE ${W} GROUP BY ALL`);
await q('direct distinct tuple via group', `SELECT kind, service, instance, k8s_namespace, k8s_workload, k8s_node, count(*) FROM calls WHERE ${W} GROUP BY ALL`);
await q('direct callers group', `SELECT kind, service, path_kinds[depth], path_names[depth], count(*) FROM calls WHERE ${W} GROUP BY ALL`);
await q('all-in-one fine group', `SELECT kind, service, instance, k8s_namespace, k8s_workload, k8s_node, path_kinds[depth] ck, path_names[depth] cn, count(*), count(*) FILTER (WHERE failed) FROM calls WHERE ${W} GROUP BY ALL`);
