/**
 * Commits a group of span batches in one transaction: new resources and scopes first, then the
 * spans as compressed blocks (`block-cutter.ts`, `span-blocks.ts`) with their per-trace rows,
 * then COMMIT (the fsync). Runs only on the writer connection, inside the group-commit queue, so
 * it never races another write; retention's part on spans (`deleteBefore`) runs here too, because
 * it rewrites blocks and this writer hands out block ids.
 */
import { BIGINT, BLOB, MAP, UBIGINT, VARCHAR, blobValue, mapValue } from '@duckdb/node-api';
import type { DuckDBBlobValue } from '@duckdb/node-api';
import type { SpanBatch } from '../../model/span-batch.js';
import type { SerialConnection } from './connection.js';
import { encodeAttributes, flattenAttributes } from './attribute-codec.js';
import { cutIntoBlocks } from './block-cutter.js';
import { appendBlocks } from './block-rows.js';
import { encodeSpanBlock, encodeSpanBlockAsync, type EncodedBlock } from './span-block-encoder.js';
import { SpanBlock } from './span-block-reader.js';

/**
 * A batch on its way into a group commit, with its seq; a batch of `ENCODE_ALONE_SPANS` spans or
 * more is encoded into its blocks as soon as it arrives, while the previous group's COMMIT runs
 * (before, encoding ran inside the commit loop: ~5 of every ~13 ms). Smaller batches are joined
 * with the rest of their group first: they compress better so.
 */
export interface PreparedAppend {
  readonly batch: SpanBatch;
  readonly seq: bigint;
  /** Settles once compressed (`encodeSpanBlockAsync`); the group's commit awaits it. */
  readonly blocks: Promise<EncodedBlock[]> | undefined;
}

const ENCODE_ALONE_SPANS = 512;

function encodeBlocks(batches: readonly SpanBatch[], seqs: readonly bigint[]): Promise<EncodedBlock[]> {
  return Promise.all(cutIntoBlocks(batches, seqs).map((spans) => encodeSpanBlockAsync(spans)));
}

const INSERT_RESOURCE = `INSERT INTO resources (id, bytes, attributes, attribute_strings) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`;
const INSERT_SCOPE = `INSERT INTO scopes (id, bytes, name, version) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`;
export const SET_META = `INSERT OR REPLACE INTO meta (key, value) VALUES ($1, $2)`;
const RESOURCE_TYPES = [UBIGINT, BLOB, VARCHAR, MAP(VARCHAR, VARCHAR)];
const SCOPE_TYPES = [UBIGINT, BLOB, VARCHAR, VARCHAR];

export class SpanWriter {
  /** Resource and scope ids known to be committed, so a group inserts only new ones. */
  private readonly knownResources = new Set<bigint>();
  private readonly knownScopes = new Set<bigint>();
  /** The id the next block gets: block ids grow in append order, so zone maps find a block by id. */
  private nextBlockId = 1n;

  constructor(private readonly conn: SerialConnection) {}

  /** Loads the ids of stored resources and scopes (few: one per service instance and library) and the next block id. */
  async load(): Promise<void> {
    this.nextBlockId = BigInt((await this.conn.query('SELECT coalesce(max(block_id), 0) + 1 FROM span_blocks')).getRows()[0]![0] as bigint);
    for (const [id] of (await this.conn.query('SELECT id FROM resources')).getRows()) this.knownResources.add(id as bigint);
    for (const [id] of (await this.conn.query('SELECT id FROM scopes')).getRows()) this.knownScopes.add(id as bigint);
  }

  /** `batch` with its seq, ready for `commitGroup`; a large batch is encoded now. */
  prepare(batch: SpanBatch, seq: bigint): PreparedAppend {
    if (batch.length < ENCODE_ALONE_SPANS) return { batch, seq, blocks: undefined };
    const blocks = encodeBlocks([batch], [seq]);
    blocks.catch(() => undefined); // awaited by the group's commit, which reports a failure
    return { batch, seq, blocks };
  }

  /** Stores every prepared append, all in one transaction. */
  async commitGroup(appends: readonly PreparedAppend[]): Promise<void> {
    const batches = appends.map((a) => a.batch);
    const joined = appends.filter((a) => a.blocks === undefined);
    const blocks = (
      await Promise.all([
        ...appends.map((a) => a.blocks ?? []),
        encodeBlocks(joined.map((a) => a.batch), joined.map((a) => a.seq)),
      ])
    ).flat();
    // Ids are spent even if the commit fails: a gap is harmless.
    const firstBlockId = this.nextBlockId;
    this.nextBlockId += BigInt(blocks.length);
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
      await appendBlocks(this.conn, blocks, firstBlockId);
      // An empty batch leaves no row carrying its seq; remember the seq so a restart never reuses it.
      if (hasEmptyBatch) await this.conn.execute(SET_META, ['seq_floor', String(appends.at(-1)!.seq)]);
    });
    for (const id of newResources.keys()) this.knownResources.add(id);
    for (const id of newScopes.keys()) this.knownScopes.add(id);
  }

  /**
   * Retention's part on spans, inside the caller's transaction: deletes the blocks whose spans all
   * started before `cutoffUnixNano` and rewrites (under a new id) each block that holds spans on
   * both sides. Resolves with the number of spans deleted.
   */
  async deleteSpansBefore(cutoffUnixNano: bigint): Promise<number> {
    const cutoff = [cutoffUnixNano];
    const old = (await this.conn.query('SELECT coalesce(sum(spans), 0) FROM span_blocks WHERE max_start < $1', cutoff, [BIGINT])).getRows();
    let deleted = Number(old[0]![0]);
    const straddling = (await this.conn.query('SELECT block_id, block FROM span_blocks WHERE min_start < $1 AND max_start >= $1', cutoff, [BIGINT])).getRows();
    const rewritten = [];
    for (const [, bytes] of straddling) {
      const block = SpanBlock.decompress((bytes as DuckDBBlobValue).bytes);
      const kept: number[] = [];
      for (let i = 0; i < block.length; i++) if (block.startTime(i) >= cutoffUnixNano) kept.push(i);
      deleted += block.length - kept.length;
      rewritten.push(encodeSpanBlock(block.select(kept)));
    }
    await this.conn.execute('DELETE FROM trace_blocks WHERE block_id IN (SELECT block_id FROM span_blocks WHERE min_start < $1)', cutoff, [BIGINT]);
    await this.conn.execute('DELETE FROM span_blocks WHERE min_start < $1', cutoff, [BIGINT]);
    const firstBlockId = this.nextBlockId;
    this.nextBlockId += BigInt(rewritten.length);
    await appendBlocks(this.conn, rewritten, firstBlockId);
    return deleted;
  }
}
