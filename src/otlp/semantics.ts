/**
 * Extraction of `SpanSemantics` (model/semantics.ts): the one set of rules both decoders follow,
 * so a span re-derived from its stored payload gets exactly the semantics it got at ingest.
 *
 * Rules:
 * - Attribute keys are `SEMANTIC_ATTRIBUTE_KEYS`. Where two keys fill one field the one with the
 *   lower `SEMANTIC_KEY_PRIORITY` wins whatever their order; between equal keys the first wins.
 *   A key whose value has an unusable type is ignored (it neither fills nor blocks its field).
 * - `httpStatusCode`: an int or finite double value, or a string of decimal digits, as a number.
 * - The `http.request.header.*` fields: a string value, or the first string in an array value.
 * - Every other field: string values only.
 * - Events named `exception`: `exceptionType` / `exceptionMessage` are the string
 *   `exception.type` / `exception.message` of the first such event; `stackTraces` holds the
 *   string `exception.stacktrace` of every such event that has one, in order.
 * - Every string is cut to at most `maxValueBytes` UTF-8 bytes (on a character boundary).
 */
import type { AnyValue, KeyValue, OtlpSpan } from '../model/otlp.js';
import { SEMANTIC_KEY_PRIORITY, type SpanSemantics } from '../model/semantics.js';

/** How an attribute's value becomes its field's value. */
export const ValueRule = { STRING: 0, STATUS_CODE: 1, HEADER: 2 } as const;
export type ValueRule = (typeof ValueRule)[keyof typeof ValueRule];

/** One semantic attribute key, prepared for matching against raw key bytes. */
export interface SemanticKey {
  readonly key: string;
  readonly keyBytes: Uint8Array;
  readonly field: keyof SpanSemantics;
  /** Dense index of `field`, for per-span priority bookkeeping. */
  readonly fieldIndex: number;
  readonly priority: number;
  readonly rule: ValueRule;
}

/** Default for `maxValueBytes`: long enough for any URL and most stack traces. */
export const DEFAULT_MAX_SEMANTIC_VALUE_BYTES = 16 * 1024;

const HEADER_FIELDS: ReadonlySet<keyof SpanSemantics> = new Set(['referer', 'forwardedFor', 'via']);

/**
 * The fields attributes fill, in a fixed order; `SemanticKey.fieldIndex` indexes it. Spelled out
 * (not derived) because `buildSemantics` stores each by name: a check below keeps it in step
 * with `SEMANTIC_ATTRIBUTE_KEYS`.
 */
const SEMANTIC_FIELDS = [
  'httpStatusCode', 'dbSystem', 'dbNamespace', 'messagingSystem', 'messagingDestination', 'peerService', 'serverAddress',
  'netPeerName', 'url', 'referer', 'forwardedFor', 'via', 'upstreamCluster', 'component', 'eventType', 'targetElement',
  'targetXpath',
] as const satisfies readonly (keyof SpanSemantics)[];
const SEMANTIC_FIELD_COUNT = SEMANTIC_FIELDS.length;
{
  const fromModel = new Set([...SEMANTIC_KEY_PRIORITY.values()].map((v) => v.field));
  if (fromModel.size !== SEMANTIC_FIELD_COUNT || SEMANTIC_FIELDS.some((f) => !fromModel.has(f))) {
    throw new Error('otlp/semantics.ts: SEMANTIC_FIELDS is out of step with SEMANTIC_ATTRIBUTE_KEYS');
  }
}

/**
 * A `SpanSemantics` holding the filled slots. Named stores in one fixed order keep the number of
 * object shapes small; a loop of keyed stores measured ~100 ns/span slower on the ingest benchmark.
 */
function buildSemantics(filled: number, v: readonly (string | number | undefined)[]): SpanSemantics {
  const o: SpanSemantics = {};
  if (filled & (1 << 0)) o.httpStatusCode = v[0] as number;
  if (filled & (1 << 1)) o.dbSystem = v[1] as string;
  if (filled & (1 << 2)) o.dbNamespace = v[2] as string;
  if (filled & (1 << 3)) o.messagingSystem = v[3] as string;
  if (filled & (1 << 4)) o.messagingDestination = v[4] as string;
  if (filled & (1 << 5)) o.peerService = v[5] as string;
  if (filled & (1 << 6)) o.serverAddress = v[6] as string;
  if (filled & (1 << 7)) o.netPeerName = v[7] as string;
  if (filled & (1 << 8)) o.url = v[8] as string;
  if (filled & (1 << 9)) o.referer = v[9] as string;
  if (filled & (1 << 10)) o.forwardedFor = v[10] as string;
  if (filled & (1 << 11)) o.via = v[11] as string;
  if (filled & (1 << 12)) o.upstreamCluster = v[12] as string;
  if (filled & (1 << 13)) o.component = v[13] as string;
  if (filled & (1 << 14)) o.eventType = v[14] as string;
  if (filled & (1 << 15)) o.targetElement = v[15] as string;
  if (filled & (1 << 16)) o.targetXpath = v[16] as string;
  return o;
}

export const SEMANTIC_KEYS: readonly SemanticKey[] = [...SEMANTIC_KEY_PRIORITY].map(([key, { field, priority }]) => {
  const rule = field === 'httpStatusCode' ? ValueRule.STATUS_CODE : HEADER_FIELDS.has(field) ? ValueRule.HEADER : ValueRule.STRING;
  return { key, keyBytes: new TextEncoder().encode(key), field, fieldIndex: (SEMANTIC_FIELDS as readonly string[]).indexOf(field), priority, rule };
});

const keysByName: ReadonlyMap<string, SemanticKey> = new Map(SEMANTIC_KEYS.map((k) => [k.key, k]));

/**
 * Semantic keys by the UTF-8 byte length of the key and its first byte (`length * 256 + byte`),
 * so most attributes are dismissed with one array load before any byte compare.
 */
export const SEMANTIC_KEY_TABLE_MAX_LENGTH = Math.max(...SEMANTIC_KEYS.map((k) => k.keyBytes.length));
export const SEMANTIC_KEYS_BY_SHAPE: readonly (readonly SemanticKey[] | undefined)[] = (() => {
  const table: (SemanticKey[] | undefined)[] = Array.from({ length: (SEMANTIC_KEY_TABLE_MAX_LENGTH + 1) * 256 }, () => undefined);
  for (const k of SEMANTIC_KEYS) (table[k.keyBytes.length * 256 + k.keyBytes[0]!] ??= []).push(k);
  return table;
})();

export const EXCEPTION_EVENT_NAME = 'exception';
export const EXCEPTION_TYPE_KEY = 'exception.type';
export const EXCEPTION_MESSAGE_KEY = 'exception.message';
export const EXCEPTION_STACKTRACE_KEY = 'exception.stacktrace';

/** `httpStatusCode` from a string value: decimal digits only, else undefined. */
export function statusCodeFromString(text: string): number | undefined {
  return /^[0-9]{1,9}$/.test(text) ? Number(text) : undefined;
}

/** `httpStatusCode` from a double value: finite values only. */
export function statusCodeFromDouble(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let cut = maxBytes;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return bytes.toString('utf8', 0, cut);
}

/**
 * Collects one span's semantics. Both decoders feed it the values they find; `finish` returns the
 * span's `SpanSemantics`, or undefined when nothing was found. Reusable across spans.
 *
 * Values wait in fixed slots and `finish` builds the object with its fields always in one order,
 * so the spans of a service share a few object shapes (fast to build and to read) instead of one
 * per attribute order.
 */
export class SemanticsCollector {
  private readonly slots: (string | number | undefined)[] = Array.from({ length: SEMANTIC_FIELD_COUNT }, () => undefined);
  private readonly priorities = new Int8Array(SEMANTIC_FIELD_COUNT);
  /** Bit i: slot i is filled. */
  private filled = 0;
  private exceptionType: string | undefined;
  private exceptionMessage: string | undefined;
  private stackTraces: string[] | undefined;
  private sawException = false;
  private readonly maxValueBytes: number;

  constructor(maxValueBytes = DEFAULT_MAX_SEMANTIC_VALUE_BYTES) {
    this.maxValueBytes = maxValueBytes;
  }

  /** Offers the value of attribute `key` (already converted by its `rule`; undefined: unusable). */
  offer(key: SemanticKey, value: string | number | undefined): void {
    if (value === undefined) return;
    const i = key.fieldIndex;
    const bit = 1 << i;
    if ((this.filled & bit) !== 0 && this.priorities[i]! <= key.priority) return;
    if (typeof value === 'number' ? key.rule !== ValueRule.STATUS_CODE : key.rule === ValueRule.STATUS_CODE) return;
    this.filled |= bit;
    this.priorities[i] = key.priority;
    this.slots[i] = typeof value === 'number' ? value : truncateUtf8(value, this.maxValueBytes);
  }

  /** Records an `exception` event with its string attributes (undefined when absent or not a string). */
  offerException(type: string | undefined, message: string | undefined, stackTrace: string | undefined): void {
    if (!this.sawException) {
      this.sawException = true;
      if (type !== undefined) this.exceptionType = truncateUtf8(type, this.maxValueBytes);
      if (message !== undefined) this.exceptionMessage = truncateUtf8(message, this.maxValueBytes);
    }
    if (stackTrace !== undefined) (this.stackTraces ??= []).push(truncateUtf8(stackTrace, this.maxValueBytes));
  }

  /** The span's semantics; resets the collector for the next span. */
  finish(): SpanSemantics | undefined {
    if (this.filled === 0 && this.exceptionType === undefined && this.exceptionMessage === undefined && this.stackTraces === undefined) {
      this.reset();
      return undefined;
    }
    const out = buildSemantics(this.filled, this.slots);
    if (this.exceptionType !== undefined) out.exceptionType = this.exceptionType;
    if (this.exceptionMessage !== undefined) out.exceptionMessage = this.exceptionMessage;
    if (this.stackTraces !== undefined) out.stackTraces = this.stackTraces;
    this.reset();
    return out;
  }

  reset(): void {
    // Stale slot values stay behind: `filled` says which slots hold this span's values.
    this.filled = 0;
    this.exceptionType = undefined;
    this.exceptionMessage = undefined;
    this.stackTraces = undefined;
    this.sawException = false;
  }
}

/** The value of `value` for a semantic key with rule `rule`, or undefined when its type does not fit. */
export function semanticValue(rule: ValueRule, value: AnyValue): string | number | undefined {
  if ('stringValue' in value) {
    return rule === ValueRule.STATUS_CODE ? statusCodeFromString(value.stringValue) : value.stringValue;
  }
  if (rule === ValueRule.STATUS_CODE) {
    if ('intValue' in value) return Number(BigInt.asIntN(64, value.intValue));
    if ('doubleValue' in value) return statusCodeFromDouble(value.doubleValue);
    return undefined;
  }
  if (rule === ValueRule.HEADER && 'arrayValue' in value) {
    for (const v of value.arrayValue.values) if ('stringValue' in v) return v.stringValue;
  }
  return undefined;
}

function stringAttribute(attributes: readonly KeyValue[], key: string): string | undefined {
  for (const kv of attributes) if (kv.key === key && 'stringValue' in kv.value) return kv.value.stringValue;
  return undefined;
}

/**
 * The semantics of a decoded span (the slow path; the hot decoder extracts the same while
 * reading). `maxValueBytes` must match what the hot decoder used for the results to agree.
 */
export function semanticsOfSpan(span: OtlpSpan, maxValueBytes = DEFAULT_MAX_SEMANTIC_VALUE_BYTES): SpanSemantics | undefined {
  const collector = new SemanticsCollector(maxValueBytes);
  for (const kv of span.attributes) {
    const key = keysByName.get(kv.key);
    if (key !== undefined) collector.offer(key, semanticValue(key.rule, kv.value));
  }
  for (const event of span.events) {
    if (event.name !== EXCEPTION_EVENT_NAME) continue;
    collector.offerException(
      stringAttribute(event.attributes, EXCEPTION_TYPE_KEY),
      stringAttribute(event.attributes, EXCEPTION_MESSAGE_KEY),
      stringAttribute(event.attributes, EXCEPTION_STACKTRACE_KEY),
    );
  }
  return collector.finish();
}
