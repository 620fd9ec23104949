import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DETECT_PREFIX_BYTES } from './detect.js';
import { JsonValueSplitter } from './json-splitter.js';
import type { JsonValueResult } from './json-splitter.js';

/**
 * Called as a file is read: bytes read from disk so far and the file's size on disk (for a
 * gzip file both count compressed bytes, so the ratio is the progress either way).
 */
export type ProgressCallback = (bytesRead: number, totalBytes: number) => void;

export interface ReadOptions {
  readonly onProgress?: ProgressCallback;
  /** Read size; the default suits both SSDs and network file systems. */
  readonly chunkBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const DEFAULT_CHUNK_BYTES = 1 << 20;

async function isGzip(filePath: string): Promise<boolean> {
  const stream = createReadStream(filePath, { start: 0, end: 1 });
  const head: Buffer[] = [];
  for await (const chunk of stream) head.push(chunk as Buffer);
  const bytes = Buffer.concat(head);
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * The file's content as chunks, gunzipped when the file is gzip (by its magic bytes, whatever its
 * name), reporting progress after every chunk read from disk. Chunks are fresh buffers the caller
 * may keep.
 */
export async function* readChunks(filePath: string, options: ReadOptions = {}): AsyncGenerator<Uint8Array> {
  const { size } = await stat(filePath);
  const raw = createReadStream(filePath, { highWaterMark: options.chunkBytes ?? DEFAULT_CHUNK_BYTES });
  const source: Readable = (await isGzip(filePath)) ? raw.pipe(createGunzip()) : raw;
  if (source !== raw) raw.on('error', (error) => source.destroy(error));
  try {
    for await (const chunk of source) {
      options.onProgress?.(raw.bytesRead, size);
      yield chunk as Buffer;
    }
  } finally {
    raw.destroy();
    source.destroy();
  }
}

/**
 * Up to `maxBytes` from the start of the (gunzipped) content, for `detectFormat`. Stops reading
 * there; the file is read again from the start for the import, which for the small prefix costs
 * nothing.
 */
export async function readHead(filePath: string, maxBytes = DETECT_PREFIX_BYTES): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of readChunks(filePath, { chunkBytes: Math.min(maxBytes, DEFAULT_CHUNK_BYTES) })) {
    parts.push(chunk);
    length += chunk.length;
    if (length >= maxBytes) break;
  }
  return Buffer.concat(parts).subarray(0, maxBytes);
}

/** The whole (gunzipped) content, for formats that need all of it at once (protobuf, Zipkin, Jaeger). */
export async function readAll(filePath: string, options: ReadOptions = {}): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of readChunks(filePath, options)) parts.push(chunk);
  return Buffer.concat(parts);
}

/**
 * The JSON values of a file holding one value or one value per line (OTLP/JSON exports, JSON
 * lines), parsed one at a time as the file streams by (`JsonValueSplitter`), each with the line
 * and byte offset it starts at. A value that does not parse is yielded as `{ ok: false }` and
 * reading goes on.
 */
export async function* readJsonValues(filePath: string, options: ReadOptions = {}): AsyncGenerator<JsonValueResult> {
  const splitter = new JsonValueSplitter();
  for await (const chunk of readChunks(filePath, options)) yield* splitter.push(chunk);
  yield* splitter.end();
}
