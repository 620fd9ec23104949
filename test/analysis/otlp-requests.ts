/**
 * Hand-written OTLP requests for the analysis tests that need shapes the random topologies do not
 * produce (hostile names, deep chains): spans given one by one with small numeric ids.
 */
import { StatusCode, type KeyValue, type OtlpSpan, type OtlpTraceRequest } from '../../src/model/otlp.js';

/** 2026-01-01T00:00:00Z; trace `n` starts `n` minutes later. */
export const T0 = 1_767_225_600_000_000_000n;
const MS = 1_000_000n;

export const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

/** `value` big-endian in the last 4 of `length` bytes. */
function bytes(value: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  new DataView(out.buffer).setUint32(length - 4, value);
  return out;
}

export interface SpanSpec {
  readonly service: string;
  readonly id: number;
  readonly parent?: number;
  readonly name: string;
  readonly kind: number;
  /** After the trace's start. */
  readonly startMs: number;
  /** Default 10. */
  readonly durationMs?: number;
  readonly attributes?: readonly KeyValue[];
  /** Status ERROR with this message. */
  readonly error?: string;
  /** One exception event with this type and stack trace. */
  readonly exception?: { readonly type: string; readonly stack: string };
}

/** One request holding trace number `trace`, its spans grouped by service (one resource each, with `resource(service)` added). */
export function traceRequest(trace: number, specs: readonly SpanSpec[], resource: (service: string) => KeyValue[] = () => []): OtlpTraceRequest {
  const byService = new Map<string, OtlpSpan[]>();
  for (const s of specs) {
    const start = T0 + BigInt(trace * 60_000 + s.startMs) * MS;
    const span: OtlpSpan = {
      traceId: bytes(trace, 16),
      spanId: bytes(s.id, 8),
      parentSpanId: s.parent === undefined ? new Uint8Array(0) : bytes(s.parent, 8),
      traceState: '',
      flags: 0x101,
      name: s.name,
      kind: s.kind,
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(s.durationMs ?? 10) * MS,
      attributes: s.attributes ?? [],
      droppedAttributesCount: 0,
      events:
        s.exception === undefined
          ? []
          : [{ timeUnixNano: start, name: 'exception', attributes: [str('exception.type', s.exception.type), str('exception.stacktrace', s.exception.stack)], droppedAttributesCount: 0 }],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: s.error === undefined ? { code: StatusCode.UNSET, message: '' } : { code: StatusCode.ERROR, message: s.error },
    };
    const list = byService.get(s.service) ?? [];
    list.push(span);
    byService.set(s.service, list);
  }
  return {
    resourceSpans: [...byService].map(([service, spans]) => ({
      resource: { attributes: [str('service.name', service), ...resource(service)], droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 'tributary-test', version: '1', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    })),
  };
}
