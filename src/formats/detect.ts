import { extname } from 'node:path';
import { probeJson } from './json-probe.js';

export type TraceFileFormat = 'otlp-json' | 'otlp-proto' | 'zipkin' | 'jaeger';

export interface Detection {
  readonly format: TraceFileFormat;
  /** Why, in words a user can check against the file ("starts with '[': a Zipkin v2 span array"). */
  readonly reason: string;
}

/** How much of a file detection wants to see; shorter prefixes work, decisions just rest on less. */
export const DETECT_PREFIX_BYTES = 64 * 1024;

const PROTO_EXTENSIONS: ReadonlySet<string> = new Set(['.pb', '.bin', '.protobuf', '.binpb']);
const JSON_EXTENSIONS: ReadonlySet<string> = new Set(['.json', '.jsonl', '.ndjson']);

/**
 * Decides a trace file's format from its first bytes (ideally `DETECT_PREFIX_BYTES` of them, after
 * gunzip for a gzip file), the content first, the file name (less a `.gz` ending) only where
 * content does not decide:
 *
 * 1. Bytes that cannot be JSON (the prefix breaks JSON's grammar, e.g. protobuf's control bytes)
 *    → `otlp-proto`; except a name ending `.json`/`.jsonl`/`.ndjson` → `otlp-json`, so a broken
 *    JSON file gets a JSON syntax error rather than a protobuf one.
 * 2. A JSON array → `zipkin` (Zipkin v2's span array, or an array of such arrays), unless its
 *    objects have Jaeger's `traceID` or `processes` keys (Zipkin writes `traceId`): then the
 *    `data` array of a Jaeger document saved on its own → `jaeger`.
 * 3. A JSON object with a top-level `resourceSpans` key → `otlp-json` (also for JSON lines:
 *    the first line decides).
 * 4. A JSON object with a top-level `data` key (Jaeger's `{"data":[{traceID, spans, processes}]}`)
 *    or with `traceID` and `spans` (one bare Jaeger trace) → `jaeger`.
 * 5. Otherwise (an unrecognized or empty JSON object, an empty file): a `.pb`/`.bin`/`.protobuf`/
 *    `.binpb` name → `otlp-proto` (an empty file is a valid empty protobuf request, and protobuf can
 *    look like a JSON prefix: its first bytes 0x0A 0x7B read as "\n{"); else `otlp-json`, whose
 *    parser then says what is missing.
 */
export function explainFormat(firstBytes: Uint8Array, fileName: string): Detection {
  const extension = extname(fileName.replace(/\.gz$/i, '')).toLowerCase();
  const protoName = PROTO_EXTENSIONS.has(extension);
  const probe = probeJson(firstBytes);

  if (!probe.json) {
    return JSON_EXTENSIONS.has(extension)
      ? { format: 'otlp-json', reason: `the content is not valid JSON, but the name ends in ${extension}` }
      : { format: 'otlp-proto', reason: 'the content is binary, not JSON: OTLP protobuf' };
  }
  if (probe.top === 'array') {
    const elementKeys = new Set(probe.arrayElementKeys);
    if (elementKeys.has('traceID') || elementKeys.has('processes')) {
      return { format: 'jaeger', reason: 'the content is a JSON array of traces with "traceID"/"processes": Jaeger JSON' };
    }
    return { format: 'zipkin', reason: "the content is a JSON array ('['): a Zipkin v2 span array" };
  }
  if (probe.top === 'object') {
    const keys = new Set(probe.topKeys);
    if (keys.has('resourceSpans') || keys.has('resource_spans')) {
      return { format: 'otlp-json', reason: 'the content is a JSON object with "resourceSpans": OTLP/JSON' };
    }
    if (keys.has('data')) {
      const traceLike = probe.dataElementKeys.some((k) => k === 'spans' || k === 'traceID' || k === 'processes');
      return {
        format: 'jaeger',
        reason: traceLike
          ? 'the content is a JSON object whose "data" holds traces with "spans": Jaeger JSON'
          : 'the content is a JSON object with "data": Jaeger JSON',
      };
    }
    if (keys.has('spans') && keys.has('traceID')) {
      return { format: 'jaeger', reason: 'the content is one JSON trace with "traceID" and "spans": Jaeger JSON' };
    }
  }
  if (protoName) return { format: 'otlp-proto', reason: `the content is not recognizable and the name ends in ${extension}` };
  return { format: 'otlp-json', reason: 'the content is not recognizable; read as OTLP/JSON' };
}

/** The format alone; see `explainFormat` for the rules. */
export function detectFormat(firstBytes: Uint8Array, fileName: string): TraceFileFormat {
  return explainFormat(firstBytes, fileName).format;
}
