/**
 * Attribute limits: what a span or resource over the limits becomes. Over-limit data is stored
 * truncated, never rejected, the way the OpenTelemetry SDKs apply their span limits
 * (https://opentelemetry.io/docs/specs/otel/common/#attribute-limits):
 *
 * - **Count** (`maxAttributes`): the first `maxAttributes` attributes in wire order are kept, the
 *   rest dropped, and the owner's `droppedAttributesCount` grows by the number dropped (saturating
 *   at 2^32 − 1). It applies to a span's attributes, to each of its events' and links' attributes
 *   (the SDK's per-event and per-link limits share its default of 128) and to a resource's
 *   attributes.
 * - **Value length** (`maxValueBytes`): a string value longer than `maxValueBytes` UTF-8 bytes is
 *   cut to the longest prefix of whole characters that fits; a bytes value to its first
 *   `maxValueBytes` bytes. It applies to every attribute value above (span, event, link, resource),
 *   and inside array and kvlist values at any depth. Keys, span names and other fields are not
 *   attribute values and are left alone. Lengths are bytes as received: the hot decoder checks
 *   them on the wire, so a string of invalid UTF-8 within the limit is stored as sent even though
 *   it decodes to more bytes (each bad byte becomes U+FFFD, 3 bytes).
 *
 * Functions return their input object unchanged when nothing is over a limit, so callers can tell
 * by identity (and by `hits`) whether anything was cut.
 */
import type { AnyValue, KeyValue, OtlpEvent, OtlpLink, OtlpResource, OtlpSpan } from '../model/otlp.js';
import type { SpanSemantics } from '../model/semantics.js';
import { decodeSpan } from './decode-message.js';
import { encodeSpan } from './encode.js';
import { semanticsOfSpan } from './semantics.js';

/** The OpenTelemetry SDKs' default `AttributeCountLimit`. */
export const DEFAULT_MAX_ATTRIBUTES_PER_SPAN = 128;
/** Long enough for URLs, SQL statements and most stack traces; 16 KiB. */
export const DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES = 16 * 1024;

export interface AttributeLimits {
  /** Most attributes kept per span, event, link or resource. */
  readonly maxAttributes: number;
  /** Longest string (UTF-8 bytes) or bytes value kept. */
  readonly maxValueBytes: number;
}

export const DEFAULT_ATTRIBUTE_LIMITS: AttributeLimits = {
  maxAttributes: DEFAULT_MAX_ATTRIBUTES_PER_SPAN,
  maxValueBytes: DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES,
};

/** Bit flags: which limits a span or resource was over. */
export const LimitHit = { NONE: 0, ATTRIBUTES: 1, VALUE_LENGTH: 2 } as const;

const UINT32_MAX = 0xffff_ffff;

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: short strings never need encoding.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let cut = maxBytes;
  // bytes[cut] is the first byte left out: while it continues a character, that character straddles the cut.
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return bytes.toString('utf8', 0, cut);
}

/** Applies the limits to spans, resources and values, accumulating which limits were hit. */
class Truncator {
  hits: number = LimitHit.NONE;

  constructor(private readonly limits: AttributeLimits) {}

  value(value: AnyValue): AnyValue {
    const max = this.limits.maxValueBytes;
    if ('stringValue' in value) {
      const cut = cutUtf8(value.stringValue, max);
      if (cut === value.stringValue) return value;
      this.hits |= LimitHit.VALUE_LENGTH;
      return { stringValue: cut };
    }
    if ('bytesValue' in value) {
      if (value.bytesValue.length <= max) return value;
      this.hits |= LimitHit.VALUE_LENGTH;
      return { bytesValue: value.bytesValue.slice(0, max) };
    }
    if ('arrayValue' in value) {
      const values = this.mapped(value.arrayValue.values, (v) => this.value(v));
      return values === value.arrayValue.values ? value : { arrayValue: { values } };
    }
    if ('kvlistValue' in value) {
      const values = this.mapped(value.kvlistValue.values, (kv) => this.keyValue(kv));
      return values === value.kvlistValue.values ? value : { kvlistValue: { values } };
    }
    return value;
  }

  private keyValue(kv: KeyValue): KeyValue {
    const value = this.value(kv.value);
    return value === kv.value ? kv : { key: kv.key, value };
  }

  /**
   * The attributes cut to the count limit, values cut to the length limit, and how many were
   * dropped; the same array when nothing changed.
   */
  attributes(attributes: readonly KeyValue[]): { attributes: readonly KeyValue[]; dropped: number } {
    const max = this.limits.maxAttributes;
    let kept = attributes;
    let dropped = 0;
    if (attributes.length > max) {
      kept = attributes.slice(0, max);
      dropped = attributes.length - max;
      this.hits |= LimitHit.ATTRIBUTES;
    }
    return { attributes: this.mapped(kept, (kv) => this.keyValue(kv)), dropped };
  }

  /** `items` with `f` applied; the same array when `f` returned every item unchanged. */
  private mapped<T>(items: readonly T[], f: (item: T) => T): readonly T[] {
    let out: T[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const changed = f(item);
      if (changed !== item && out === undefined) out = items.slice(0, i);
      out?.push(changed);
    }
    return out ?? items;
  }

  span(span: OtlpSpan): OtlpSpan {
    const own = this.attributes(span.attributes);
    const events = this.mapped(span.events, (e) => this.event(e));
    const links = this.mapped(span.links, (l) => this.link(l));
    if (own.attributes === span.attributes && events === span.events && links === span.links) return span;
    return {
      ...span,
      attributes: own.attributes,
      droppedAttributesCount: addDropped(span.droppedAttributesCount, own.dropped),
      events,
      links,
    };
  }

  private event(event: OtlpEvent): OtlpEvent {
    const { attributes, dropped } = this.attributes(event.attributes);
    if (attributes === event.attributes) return event;
    return { ...event, attributes, droppedAttributesCount: addDropped(event.droppedAttributesCount, dropped) };
  }

  private link(link: OtlpLink): OtlpLink {
    const { attributes, dropped } = this.attributes(link.attributes);
    if (attributes === link.attributes) return link;
    return { ...link, attributes, droppedAttributesCount: addDropped(link.droppedAttributesCount, dropped) };
  }

  resource(resource: OtlpResource): OtlpResource {
    const { attributes, dropped } = this.attributes(resource.attributes);
    if (attributes === resource.attributes) return resource;
    return { attributes, droppedAttributesCount: addDropped(resource.droppedAttributesCount, dropped) };
  }
}

function addDropped(count: number, dropped: number): number {
  return Math.min(UINT32_MAX, count + dropped);
}

/** The span within the limits, and which limits it was over (`LimitHit` flags; 0: `span` itself is returned). */
export function truncateSpan(span: OtlpSpan, limits: AttributeLimits): { readonly span: OtlpSpan; readonly hits: number } {
  const t = new Truncator(limits);
  const out = t.span(span);
  return { span: out, hits: t.hits };
}

/**
 * A stored span over a limit: its `Span` payload decoded whole, truncated and re-encoded, and the
 * semantics of the truncated span (so the columns describe what is stored). The payload loses
 * only what the limits cut, and unknown fields, which the model does not keep; with `hits` 0 it
 * is `payload` itself. Throws `ProtoDecodeError` for a malformed payload.
 */
export function truncateSpanPayload(
  payload: Uint8Array,
  limits: AttributeLimits,
  maxSemanticValueBytes: number,
): { readonly payload: Uint8Array; readonly semantics: SpanSemantics | undefined; readonly hits: number } {
  const { span, hits } = truncateSpan(decodeSpan(payload), limits);
  return { payload: hits === 0 ? payload : encodeSpan(span), semantics: semanticsOfSpan(span, maxSemanticValueBytes), hits };
}

/** The resource within the limits, and which limits it was over (`LimitHit` flags; 0: `resource` itself is returned). */
export function truncateResource(resource: OtlpResource, limits: AttributeLimits): { readonly resource: OtlpResource; readonly hits: number } {
  const t = new Truncator(limits);
  const out = t.resource(resource);
  return { resource: out, hits: t.hits };
}

/** One attribute value within the length limit (strings, bytes, and inside arrays and kvlists). */
export function truncateValue(value: AnyValue, maxValueBytes: number): AnyValue {
  return new Truncator({ maxAttributes: Number.MAX_SAFE_INTEGER, maxValueBytes }).value(value);
}
