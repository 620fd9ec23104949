-- Tributary's ClickHouse schema, version 1. Applied by schema.ts, statement by statement (split on
-- a ';' at the end of a line). Placeholders the runner fills in:
--   {{spans}}, {{calls}}, … the table names (tables.ts: plain on one node, *_local on a cluster),
--   {{on_cluster}}        '' or ' ON CLUSTER name',
--   {{lc_string}}         'LowCardinality(String)' on servers that allow it by default, else 'String',
--   {{blob_codec}}        ' CODEC(ZSTD(1))' on servers with column codecs, else ''.
-- Every statement is idempotent (IF NOT EXISTS), so concurrent starts are harmless.
-- It must run on 18.16: no TTL, DateTime64, Map, codecs or LowCardinality there (hence the
-- placeholders).
--
-- For the analytics SQL (H12), beyond the columns agreed in the brief:
--   calls.write_id UInt64: the replace that wrote the row (unique per replaceTraceCalls, never
--     reused). Liveness is keyed on it, not on derived_seq: use liveCallsFilter(alias, tables)
--     from live-calls.ts on every read of calls, never a hand-written filter (ADR 0004).
--   superseded_calls is (trace_id, write_id, superseded_by), not (trace_id, derived_seq).
-- Cluster mode (tables.ts): the plain names are Distributed tables; tables.local names the
--   shard tables, qualified with the database ("db.calls_local") because a shard resolves
--   unqualified names in its `default` database. spans, calls, superseded_calls and derivations
--   are sharded by cityHash64(trace_id), so trace-local subqueries read tables.local.*;
--   resources and scopes by cityHash64(id), so a subquery over them from a query on calls needs
--   GLOBAL IN (which is also correct on a single node).
-- Replicated shards (replication.ts): `ENGINE = <Family>MergeTree[(args)]` is rewritten to
--   `Replicated<Family>MergeTree('/clickhouse/tables/{shard}/db/table', '{replica}'[, args])`, so
--   write engines in exactly that form, with arguments free of parentheses.
-- 18.16 pitfalls met here: `fixed_string IN (unhex('…'))` fails (String vs FixedString; use
--   toFixedString(unhex('…'), 16), as sql-literal.ts does); a SELECT alias shadows a column of the
--   same name even when qualified (`hex(c.trace_id) AS trace_id` makes `c.trace_id` in WHERE the
--   hex String); ON CLUSTER DDL needs ZooKeeper.
-- Times: *_time_ns are Unix nanoseconds; partitions are UTC days of the start time.
-- spans uses index_granularity 1024 (not 8192): a trace lookup reads one granule of every column,
--   and the payload granule dominates (8192 × ~300 B); the primary index stays small either way.

CREATE TABLE IF NOT EXISTS {{spans}}{{on_cluster}} (
  trace_id FixedString(16),
  span_id UInt64,
  parent_span_id UInt64,
  seq UInt64,
  resource_id UInt64,
  scope_id UInt64,
  name String,
  kind UInt8,
  start_time_ns Int64,
  duration_ns Int64,
  status_code UInt8,
  status_message String,
  payload String{{blob_codec}}
) ENGINE = MergeTree
PARTITION BY toDate(toDateTime(intDiv(start_time_ns, 1000000000)))
ORDER BY (trace_id, span_id)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS {{resources}}{{on_cluster}} (
  id UInt64,
  bytes String,
  attributes String,
  attribute_keys Array(String),
  attribute_values Array(String)
) ENGINE = ReplacingMergeTree
ORDER BY id;

CREATE TABLE IF NOT EXISTS {{scopes}}{{on_cluster}} (
  id UInt64,
  bytes String,
  name String,
  version String
) ENGINE = ReplacingMergeTree
ORDER BY id;

CREATE TABLE IF NOT EXISTS {{calls}}{{on_cluster}} (
  trace_id FixedString(16),
  call_id UInt64,
  synthetic UInt8,
  kind {{lc_string}},
  service String,
  request String,
  resource_id Nullable(UInt64),
  instance Nullable(String),
  k8s_cluster Nullable(String),
  k8s_node Nullable(String),
  k8s_namespace Nullable(String),
  k8s_pod Nullable(String),
  k8s_workload Nullable(String),
  start_time_ns Int64,
  duration_ns Int64,
  failed UInt8,
  failure_reason Nullable(String),
  stack_traces Array(String),
  depth UInt32,
  path_kinds Array(String),
  path_names Array(String),
  path_requests Array(String),
  path_call_ids Array(UInt64),
  referring_page Nullable(String),
  proxies Array(String),
  derived_seq UInt64,
  write_id UInt64
) ENGINE = MergeTree
PARTITION BY toDate(toDateTime(intDiv(start_time_ns, 1000000000)))
ORDER BY (kind, service, request, start_time_ns);

CREATE TABLE IF NOT EXISTS {{superseded_calls}}{{on_cluster}} (
  trace_id FixedString(16),
  write_id UInt64,
  superseded_by UInt64
) ENGINE = MergeTree
ORDER BY (trace_id, write_id);

CREATE TABLE IF NOT EXISTS {{derivations}}{{on_cluster}} (
  trace_id FixedString(16),
  derived_seq UInt64,
  write_id UInt64
) ENGINE = ReplacingMergeTree(write_id)
ORDER BY trace_id;

CREATE TABLE IF NOT EXISTS {{meta}}{{on_cluster}} (
  key String,
  value String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY key;
