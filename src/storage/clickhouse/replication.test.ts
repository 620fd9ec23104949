import { describe, expect, it } from 'vitest';
import { replicatedEngine } from './replication.js';
import { dialectFor, loadMigrations, statementsOf } from './schema.js';
import { clusterTables } from './tables.js';

describe('replicatedEngine', () => {
  it('makes every MergeTree of the schema replicated, keeping the ReplacingMergeTree version column', async () => {
    const [init] = await loadMigrations();
    const statements = statementsOf(init!.text, clusterTables('c1', 'db', true), dialectFor({ text: '18.16.1', major: 18, minor: 16 }));
    const engines = statements.map((s) => /ENGINE = (.*)/.exec(s)?.[1]);
    expect(engines).toEqual([
      "ReplicatedMergeTree('/clickhouse/tables/{shard}/db/spans_local', '{replica}')",
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/resources_local', '{replica}')",
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/scopes_local', '{replica}')",
      "ReplicatedMergeTree('/clickhouse/tables/{shard}/db/calls_local', '{replica}')",
      "ReplicatedMergeTree('/clickhouse/tables/{shard}/db/superseded_calls_local', '{replica}')",
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/derivations_local', '{replica}', write_id)",
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/meta_local', '{replica}', version)",
    ]);
    // The rest of each statement is untouched.
    expect(statements[0]).toContain('ORDER BY (trace_id, span_id)');
  });

  it('leaves the engines alone on a cluster without replicas', async () => {
    const [init] = await loadMigrations();
    const statements = statementsOf(init!.text, clusterTables('c1', 'db'), dialectFor({ text: '18.16.1', major: 18, minor: 16 }));
    expect(statements.join('\n')).not.toContain('Replicated');
  });

  it('refuses a table without its database, which the replica path needs', () => {
    expect(() => replicatedEngine('CREATE TABLE IF NOT EXISTS spans (n UInt8) ENGINE = MergeTree ORDER BY n')).toThrow(/database-qualified/);
  });
});
