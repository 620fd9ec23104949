/**
 * Commits a group of span batches in one transaction: new resources and scopes first, then every
 * span through the appender, then COMMIT (the fsync). Runs only on the writer connection, inside
 * the group-commit queue, so it never races another write.
 */
import { BLOB, MAP, UBIGINT, VARCHAR, blobValue, mapValue } from '@duckdb/node-api';
import type { SpanBatch } from '../../model/span-batch.js';
import type { SerialConnection } from './connection.js';
import { encodeAttributes, flattenAttributes } from './attribute-codec.js';
import { SpanChunkBuilder } from './span-chunks.js';

const INSERT_RESOURCE = `INSERT INTO resources (id, bytes, attributes, attribute_strings) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`;
const INSERT_SCOPE = `INSERT INTO scopes (id, bytes, name, version) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`;
export const SET_META = `INSERT OR REPLACE INTO meta (key, value) VALUES ($1, $2)`;
const RESOURCE_TYPES = [UBIGINT, BLOB, VARCHAR, MAP(VARCHAR, VARCHAR)];
const SCOPE_TYPES = [UBIGINT, BLOB, VARCHAR, VARCHAR];

export class SpanWriter {
  /** Resource and scope ids known to be committed, so a group inserts only new ones. */
  private readonly knownResources = new Set<bigint>();
  private readonly knownScopes = new Set<bigint>();

  constructor(private readonly conn: SerialConnection) {}

  /** Loads the ids of stored resources and scopes (few: one per service instance and library). */
  async load(): Promise<void> {
    for (const [id] of (await this.conn.query('SELECT id FROM resources')).getRows()) this.knownResources.add(id as bigint);
    for (const [id] of (await this.conn.query('SELECT id FROM scopes')).getRows()) this.knownScopes.add(id as bigint);
  }

  /** Stores `batches[i]` with seq `seqs[i]`, all in one transaction. */
  async commitGroup(batches: readonly SpanBatch[], seqs: readonly bigint[]): Promise<void> {
    const builder = new SpanChunkBuilder();
    batches.forEach((batch, i) => builder.add(batch, seqs[i]!));
    const chunks = builder.finish();
    const newResources = new Map(batches.flatMap((b) => b.resources).filter((r) => !this.knownResources.has(r.id)).map((r) => [r.id, r]));
    const newScopes = new Map(batches.flatMap((b) => b.scopes).filter((s) => !this.knownScopes.has(s.id)).map((s) => [s.id, s]));
    const hasEmptyBatch = batches.some((b) => b.length === 0);

    await this.conn.transaction(async () => {
      for (const r of newResources.values()) {
        const strings = mapValue([...flattenAttributes(r.attributes)].map(([key, value]) => ({ key, value })));
        await this.conn.execute(INSERT_RESOURCE, [r.id, blobValue(r.bytes), encodeAttributes(r.attributes), strings], RESOURCE_TYPES);
      }
      for (const s of newScopes.values()) {
        await this.conn.execute(INSERT_SCOPE, [s.id, blobValue(s.bytes), s.name, s.version], SCOPE_TYPES);
      }
      await this.conn.appendChunks('spans', chunks);
      // An empty batch leaves no row carrying its seq; remember the seq so a restart never reuses it.
      if (hasEmptyBatch) await this.conn.execute(SET_META, ['seq_floor', String(seqs.at(-1))]);
    });
    for (const id of newResources.keys()) this.knownResources.add(id);
    for (const id of newScopes.keys()) this.knownScopes.add(id);
  }
}
