import { normalizeSpanIdHex, normalizeTraceId } from './hex-ids.js';
import { preview } from './import-result.js';
import { jsonText } from './json-text.js';
import { MAX_MICROS } from './otlp-builder.js';

/** A Zipkin v2 endpoint, as far as it was valid. */
export interface ZipkinEndpoint {
  readonly serviceName: string | undefined;
  readonly ipv4: string | undefined;
  readonly ipv6: string | undefined;
  readonly port: number | undefined;
}

export type ZipkinKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

export interface ZipkinAnnotation {
  readonly timestampMicros: number;
  readonly value: string;
}

/**
 * One validated entry of a Zipkin v2 span array: a whole span or a fragment of one (Zipkin lets
 * instrumentation report a span in pieces, e.g. a late annotation). Ids are normalized hex;
 * `traceId` is padded to 32 digits, `parentId` is '' when absent.
 */
export interface ZipkinFragment {
  /** Position in the input array, for messages and stable ordering. */
  readonly index: number;
  readonly traceId: string;
  readonly id: string;
  readonly parentId: string;
  readonly kind: ZipkinKind | undefined;
  readonly name: string;
  /** Zipkin's "unset" is absent or 0; both read as undefined. */
  readonly timestampMicros: number | undefined;
  readonly durationMicros: number | undefined;
  readonly localEndpoint: ZipkinEndpoint | undefined;
  readonly remoteEndpoint: ZipkinEndpoint | undefined;
  readonly annotations: readonly ZipkinAnnotation[];
  readonly tags: ReadonlyMap<string, string>;
  readonly debug: boolean;
  readonly shared: boolean;
}

export type ParsedFragment =
  | { readonly ok: true; readonly fragment: ZipkinFragment; readonly warnings: string[] }
  | { readonly ok: false; readonly error: string };

const KINDS: ReadonlySet<string> = new Set(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Epoch microseconds: a positive number up to `MAX_MICROS` (or a decimal string of one); 0 and absent mean "unset". */
function micros(value: unknown): number | undefined | 'invalid' {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > MAX_MICROS) return 'invalid';
  return n === 0 ? undefined : Math.trunc(n);
}

function endpoint(value: unknown): ZipkinEndpoint | undefined {
  if (!isRecord(value)) return undefined;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const port = value['port'];
  return {
    serviceName: text(value['serviceName']),
    ipv4: text(value['ipv4']),
    ipv6: text(value['ipv6']),
    port: typeof port === 'number' && Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined,
  };
}

/** Zipkin tags are strings; other JSON scalars written by lenient tools are kept as their text. */
function tagText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return jsonText(value);
}

/** Validates one entry of a Zipkin v2 span array. Fatal only for what identifies the span. */
export function parseZipkinFragment(value: unknown, index: number): ParsedFragment {
  if (!isRecord(value)) return { ok: false, error: `span #${index}: not a JSON object` };
  const traceId = normalizeTraceId(value['traceId']);
  if (traceId === undefined) {
    return { ok: false, error: `span #${index}: traceId ${preview(value['traceId'])} is not 1–32 hex digits (non-zero)` };
  }
  const id = normalizeSpanIdHex(value['id']);
  if (id === undefined) {
    return { ok: false, error: `span #${index}: id ${preview(value['id'])} is not 1–16 hex digits (non-zero)` };
  }
  const warnings: string[] = [];
  const where = `span #${index} (${id})`;

  let parentId = '';
  const rawParent = value['parentId'];
  if (rawParent !== undefined && rawParent !== null && rawParent !== '') {
    const parsed = normalizeSpanIdHex(rawParent);
    if (parsed === undefined) warnings.push(`${where}: parentId ${preview(rawParent)} is not a span id; read as a root span`);
    else if (parsed === id) warnings.push(`${where}: is its own parent; read as a root span`);
    else parentId = parsed;
  }

  let kind: ZipkinKind | undefined;
  const rawKind = value['kind'];
  if (typeof rawKind === 'string' && KINDS.has(rawKind.toUpperCase())) kind = rawKind.toUpperCase() as ZipkinKind;
  else if (rawKind !== undefined && rawKind !== null) warnings.push(`${where}: unknown kind ${preview(rawKind)} ignored`);

  const timestamp = micros(value['timestamp']);
  if (timestamp === 'invalid') warnings.push(`${where}: timestamp ${preview(value['timestamp'])} ignored`);
  const duration = micros(value['duration']);
  if (duration === 'invalid') warnings.push(`${where}: duration ${preview(value['duration'])} ignored`);

  const annotations: ZipkinAnnotation[] = [];
  const rawAnnotations = value['annotations'];
  if (Array.isArray(rawAnnotations)) {
    for (const a of rawAnnotations) {
      const ts = isRecord(a) ? micros(a['timestamp']) : 'invalid';
      if (isRecord(a) && typeof ts === 'number' && typeof a['value'] === 'string') {
        annotations.push({ timestampMicros: ts, value: a['value'] });
      } else {
        warnings.push(`${where}: annotation ${preview(a)} ignored (needs a timestamp and a string value)`);
      }
    }
  }

  const tags = new Map<string, string>();
  const rawTags = value['tags'];
  if (isRecord(rawTags)) for (const [key, v] of Object.entries(rawTags)) tags.set(key, tagText(v));

  const name = value['name'];
  return {
    ok: true,
    warnings,
    fragment: {
      index,
      traceId,
      id,
      parentId,
      kind,
      name: typeof name === 'string' ? name : '',
      timestampMicros: timestamp === 'invalid' ? undefined : timestamp,
      durationMicros: duration === 'invalid' ? undefined : duration,
      localEndpoint: endpoint(value['localEndpoint']),
      remoteEndpoint: endpoint(value['remoteEndpoint']),
      annotations,
      tags,
      debug: value['debug'] === true,
      shared: value['shared'] === true,
    },
  };
}
