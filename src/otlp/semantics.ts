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

const fieldIndexes = new Map<keyof SpanSemantics, number>();
export const SEMANTIC_KEYS: readonly SemanticKey[] = [...SEMANTIC_KEY_PRIORITY].map(([key, { field, priority }]) => {
  let fieldIndex = fieldIndexes.get(field);
  if (fieldIndex === undefined) fieldIndexes.set(field, (fieldIndex = fieldIndexes.size));
  const rule = field === 'httpStatusCode' ? ValueRule.STATUS_CODE : HEADER_FIELDS.has(field) ? ValueRule.HEADER : ValueRule.STRING;
  return { key, keyBytes: new TextEncoder().encode(key), field, fieldIndex, priority, rule };
});
export const SEMANTIC_FIELD_COUNT = fieldIndexes.size;

const keysByName: ReadonlyMap<string, SemanticKey> = new Map(SEMANTIC_KEYS.map((k) => [k.key, k]));

/** Semantic keys by the UTF-8 byte length of the key, so most attributes are dismissed by length alone. */
export const SEMANTIC_KEYS_BY_LENGTH: readonly (readonly SemanticKey[] | undefined)[] = (() => {
  const table: SemanticKey[][] = [];
  for (const k of SEMANTIC_KEYS) (table[k.keyBytes.length] ??= []).push(k);
  return Array.from({ length: table.length }, (_, i) => table[i]);
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
 */
export class SemanticsCollector {
  private current: SpanSemantics | undefined;
  private readonly priorities = new Int8Array(SEMANTIC_FIELD_COUNT);
  private sawException = false;
  private readonly maxValueBytes: number;

  constructor(maxValueBytes = DEFAULT_MAX_SEMANTIC_VALUE_BYTES) {
    this.maxValueBytes = maxValueBytes;
  }

  /** Offers the value of attribute `key` (already converted by its `rule`; undefined: unusable). */
  offer(key: SemanticKey, value: string | number | undefined): void {
    if (value === undefined) return;
    const s = (this.current ??= this.start());
    const held = this.priorities[key.fieldIndex]!;
    if (held !== -1 && held <= key.priority) return;
    this.priorities[key.fieldIndex] = key.priority;
    const field = key.field;
    if (typeof value === 'number') {
      if (field === 'httpStatusCode') s.httpStatusCode = value;
      return;
    }
    if (field === 'httpStatusCode' || field === 'stackTraces') return;
    s[field] = truncateUtf8(value, this.maxValueBytes);
  }

  /** Records an `exception` event with its string attributes (undefined when absent or not a string). */
  offerException(type: string | undefined, message: string | undefined, stackTrace: string | undefined): void {
    const first = !this.sawException;
    this.sawException = true;
    if (first && type === undefined && message === undefined && stackTrace === undefined) return;
    const s = (this.current ??= this.start());
    if (first) {
      if (type !== undefined) s.exceptionType = truncateUtf8(type, this.maxValueBytes);
      if (message !== undefined) s.exceptionMessage = truncateUtf8(message, this.maxValueBytes);
    }
    if (stackTrace !== undefined) (s.stackTraces ??= []).push(truncateUtf8(stackTrace, this.maxValueBytes));
  }

  /** The span's semantics; resets the collector for the next span. */
  finish(): SpanSemantics | undefined {
    const s = this.current;
    this.reset();
    return s;
  }

  reset(): void {
    this.current = undefined;
    this.sawException = false;
  }

  private start(): SpanSemantics {
    this.priorities.fill(-1);
    return {};
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
