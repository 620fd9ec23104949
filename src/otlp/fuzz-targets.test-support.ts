/**
 * Fuzz targets of the OTLP decoders (fuzz-target.test-support.ts explains the shape). Each check
 * states the decoder's contract:
 *
 * - Protobuf (`decodeTraceRequest`, hot; `decodeTraceRequestToModel`, slow): never throws; either
 *   the whole request is refused with `malformed protobuf: …` (short, says where) or it is
 *   accepted, with spans of invalid ids counted as rejected and every other span kept. Both
 *   decoders agree on which inputs are well-formed, and each accepted span's stored payload is
 *   exactly the slow decoder's span cut to the attribute limits. `AnyValue` nesting is refused
 *   beyond `MAX_ANY_VALUE_DEPTH` whatever the depth sent (no stack overflow).
 * - OTLP/JSON (`parseTraceRequestJson` after `JSON.parse`, as the receiver runs it): never throws;
 *   a refusal names the field's path; whatever it accepts encodes to a request the hot decoder
 *   accepts whole.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { AnyValue, OtlpSpan, OtlpTraceRequest } from '../model/otlp.js';
import { traceRequest } from './arbitraries.test-support.js';
import { DEFAULT_ATTRIBUTE_LIMITS, truncateSpan } from './attribute-limits.js';
import { MAX_ANY_VALUE_DEPTH, decodeSpan, decodeTraceRequestToModel } from './decode-message.js';
import { decodeTraceRequest } from './decode-request.js';
import { encodeSpan, encodeTraceRequest } from './encode.js';
import { type FuzzScale, type FuzzTarget, ensure, ensureShortMessage, mustNotThrow, target } from './fuzz-target.test-support.js';
import { type JsonMutation, jsonMutation, mutateJson } from './json-mutations.test-support.js';
import { parseTraceRequestJson, traceRequestToJson } from './json.js';
import { ProtoDecodeError } from './proto-reader.js';
import {
  type ByteMutation,
  type TreeMutation,
  byteMutation,
  mutateBytes,
  mutateTree,
  nestedAnyValue,
  treeMutation,
} from './proto-mutations.test-support.js';
import { semanticsOfSpan } from './semantics.js';

const SEED = 20_260_101;
const TESTDATA = new URL('../../../shared/testdata/', import.meta.url);

/** Real OTLP/JSON documents from the shared test data (their PROVENANCE.txt says where from). */
export function realOtlpJsonDocuments(): unknown[] {
  const files = [
    'otlp-proto-example/trace.json',
    'jaeger-skill-fixtures/sibling_errors.json',
    'jaeger-skill-fixtures/n_plus_one_positive.json',
    'jaeger-skill-fixtures/error_timeout_masked.json',
  ];
  return files.map((f) => JSON.parse(readFileSync(new URL(f, TESTDATA), 'utf8')) as unknown);
}

let corpora: { protobuf: Uint8Array[]; json: unknown[] } | undefined;

/** Valid requests to mutate: generated ones (every field and value type) and real ones. */
function corpus(): { protobuf: Uint8Array[]; json: unknown[] } {
  if (corpora !== undefined) return corpora;
  const generated = fc.sample(traceRequest({ validIds: false }), { seed: SEED, numRuns: 40 });
  const real = realOtlpJsonDocuments().map((doc) => {
    const parsed = parseTraceRequestJson(doc);
    if (!parsed.ok) throw new Error(`corpus document does not parse: ${parsed.error}`);
    return parsed.request;
  });
  const all: OtlpTraceRequest[] = [...generated, ...real];
  corpora = {
    protobuf: all.map(encodeTraceRequest),
    json: all.map((r) => JSON.parse(JSON.stringify(traceRequestToJson(r))) as unknown),
  };
  return corpora;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function hasValidIds(span: OtlpSpan): boolean {
  const nonZero = (b: Uint8Array): boolean => b.some((x) => x !== 0);
  return span.traceId.length === 16 && nonZero(span.traceId) && span.spanId.length === 8 && nonZero(span.spanId) && (span.parentSpanId.length === 0 || span.parentSpanId.length === 8);
}

/** Both protobuf decoders on `bytes`, and everything their contracts promise. */
export function checkProtobufDecoders(bytes: Uint8Array): void {
  const outcome = mustNotThrow('decodeTraceRequest', () => decodeTraceRequest(bytes));
  let model: OtlpTraceRequest | undefined;
  let slowError: ProtoDecodeError | undefined;
  mustNotThrow('decodeTraceRequestToModel', () => {
    try {
      model = decodeTraceRequestToModel(bytes);
    } catch (error: unknown) {
      if (!(error instanceof ProtoDecodeError)) throw error;
      slowError = error;
    }
  });
  if (slowError !== undefined) ensureShortMessage(slowError.message, 'slow decoder error');
  if (!outcome.ok) {
    ensure(model === undefined, `hot decoder refused what the slow one accepted: ${outcome.error}`);
    ensure(outcome.error.startsWith('malformed protobuf: '), `refusal is not "malformed protobuf: …": ${outcome.error.slice(0, 200)}`);
    ensureShortMessage(outcome.error, 'hot decoder error');
    return;
  }
  ensure(model !== undefined, 'hot decoder accepted what the slow one refused');
  const { batch, rejected, spanCount } = outcome;
  const spans = model.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  ensure(spanCount === spans.length, `spanCount ${spanCount}, but the request has ${spans.length} spans`);
  const kept = spans.filter(hasValidIds);
  ensure(batch.length === kept.length, `${batch.length} spans accepted, ${kept.length} have valid ids`);
  ensure(rejected.reduce((n, r) => n + r.count, 0) === spans.length - kept.length, 'rejected count disagrees with the invalid ids');
  kept.forEach((span, i) => {
    const payload = batch.payloads[i]!;
    const stored = mustNotThrow(`decodeSpan(payload ${i})`, () => decodeSpan(payload));
    const expected = truncateSpan(span, DEFAULT_ATTRIBUTE_LIMITS).span;
    if (!sameBytes(encodeSpan(stored), encodeSpan(expected))) {
      // Limits measure values in bytes as received. Invalid UTF-8 decodes to U+FFFD (3 bytes per
      // bad byte), so a value within the limit on the wire can exceed it once decoded: the model
      // then cuts what the hot decoder rightly kept. The stored span must still be within the limits.
      ensure(hasReplacementCharacter(span), `span ${i}: stored payload differs from the slow decoder's span (within the limits)`);
      ensure(stored.attributes.length === expected.attributes.length, `span ${i}: stored ${stored.attributes.length} attributes, expected ${expected.attributes.length}`);
      const again = decodeTraceRequest(wrap(1, wrap(2, wrap(2, payload))));
      ensure(again.ok && again.truncated.attributes === 0 && again.truncated.valueLength === 0, `span ${i}: the stored payload is over the limits`);
    }
    ensure(batch.names[i] === span.name, `span ${i}: name column differs`);
    ensure(batch.statusMessages[i] === span.status.message, `span ${i}: status message column differs`);
    ensure(batch.startTimeUnixNano[i] === BigInt.asIntN(64, span.startTimeUnixNano), `span ${i}: start time column differs`);
    ensure(JSON.stringify(batch.semantics[i]) === JSON.stringify(semanticsOfSpan(stored)), `span ${i}: semantics differ from the stored span's`);
  });
}

/** Whether any attribute string of the span holds U+FFFD (what invalid UTF-8 decodes to). */
function hasReplacementCharacter(span: OtlpSpan): boolean {
  const values: AnyValue[] = [...span.attributes, ...span.events.flatMap((e) => e.attributes), ...span.links.flatMap((l) => l.attributes)].map((kv) => kv.value);
  while (values.length > 0) {
    const v = values.pop()!;
    if ('stringValue' in v && v.stringValue.includes('\ufffd')) return true;
    if ('arrayValue' in v) values.push(...v.arrayValue.values);
    if ('kvlistValue' in v) values.push(...v.kvlistValue.values.map((kv) => kv.value));
  }
  return false;
}

const protobufMutated = (scale: FuzzScale): FuzzTarget<{ index: number; tree: readonly TreeMutation[]; bytes: readonly ByteMutation[] }> => ({
  name: 'otlp-protobuf-mutated',
  input: fc.record({
    index: fc.nat(),
    tree: fc.array(treeMutation(scale), { minLength: 1, maxLength: 4 }),
    bytes: fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(byteMutation, { minLength: 1, maxLength: 2 }), weight: 1 }),
  }),
  check: ({ index, tree, bytes }) => {
    const requests = corpus().protobuf;
    checkProtobufDecoders(mutateBytes(mutateTree(requests[index % requests.length]!, tree), bytes));
  },
  shortRuns: 500,
});

const protobufRandom: FuzzTarget<Uint8Array> = {
  name: 'otlp-protobuf-random',
  input: fc.uint8Array({ maxLength: 300 }),
  check: checkProtobufDecoders,
  shortRuns: 1_000,
};

const DEEP_SPAN = encodeSpan({
  traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), traceState: '', parentSpanId: new Uint8Array(0), flags: 0,
  name: 'deep', kind: 1, startTimeUnixNano: 1n, endTimeUnixNano: 2n, attributes: [], droppedAttributesCount: 0,
  events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' },
});

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** A length-delimited field. */
function wrap(field: number, content: Uint8Array): Uint8Array {
  return Buffer.concat([varint(field * 8 + 2), varint(content.length), content]);
}

/** A one-span request with the attribute `deep` = `depth` nested arrays or kvlists on the span, an event or the resource. */
function deepRequest(depth: number, kind: 'array' | 'kvlist', where: 'span' | 'event' | 'resource'): Uint8Array {
  const kv = Buffer.concat([wrap(1, Buffer.from('deep')), wrap(2, nestedAnyValue(depth, kind))]);
  let span = DEEP_SPAN;
  let resource: Uint8Array = new Uint8Array(0);
  if (where === 'span') span = Buffer.concat([span, wrap(9, kv)]);
  else if (where === 'event') span = Buffer.concat([span, wrap(11, Buffer.concat([wrap(2, Buffer.from('e')), wrap(3, kv)]))]);
  else resource = wrap(1, kv);
  return wrap(1, Buffer.concat([wrap(1, resource), wrap(2, wrap(2, span))]));
}

const protobufDeep = (scale: FuzzScale): FuzzTarget<{ depth: number; kind: 'array' | 'kvlist'; where: 'span' | 'event' | 'resource' }> => ({
  name: 'otlp-protobuf-deep-nesting',
  input: fc.record({
    depth: fc.oneof(fc.integer({ min: 0, max: 80 }), scale === 'long' ? fc.constantFrom(1_000, 100_000) : fc.constant(1_000)),
    kind: fc.constantFrom('array' as const, 'kvlist' as const),
    where: fc.constantFrom('span' as const, 'event' as const, 'resource' as const),
  }),
  check: ({ depth, kind, where }) => {
    const bytes = deepRequest(depth, kind, where);
    const outcome = mustNotThrow('decodeTraceRequest', () => decodeTraceRequest(bytes));
    // `depth` wrappers around an int: depth + 1 AnyValues in a row.
    const allowed = depth + 1 <= MAX_ANY_VALUE_DEPTH;
    ensure(outcome.ok === allowed, () => `depth ${depth} (${kind}, ${where}): ok=${outcome.ok}${outcome.ok ? '' : `: ${outcome.error}`}`);
    if (!outcome.ok) ensure(outcome.error.includes(`nested deeper than ${MAX_ANY_VALUE_DEPTH}`), `unclear refusal: ${outcome.error}`);
    checkProtobufDecoders(bytes);
  },
  shortRuns: 40,
});

/** `text` as the OTLP/HTTP receiver reads it: `JSON.parse`, then the OTLP/JSON parser, then the hot decoder. */
export function checkOtlpJson(text: string): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return; // the receiver answers 400 "invalid JSON" before the parser runs
  }
  const parsed = mustNotThrow('parseTraceRequestJson', () => parseTraceRequestJson(value));
  if (!parsed.ok) {
    ensure(/^(request|resourceSpans[^:]*): /.test(parsed.error), `refusal does not name the field's path: ${parsed.error.slice(0, 200)}`);
    ensureShortMessage(parsed.error, 'OTLP/JSON refusal');
    return;
  }
  const bytes = mustNotThrow('encodeTraceRequest', () => encodeTraceRequest(parsed.request));
  const decoded = mustNotThrow('decodeTraceRequest', () => decodeTraceRequest(bytes));
  ensure(decoded.ok, () => `parsed OTLP/JSON encodes to a request the hot decoder refuses: ${decoded.ok ? '' : decoded.error}`);
  const spans = parsed.request.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
  ensure(decoded.spanCount === spans, `${spans} spans parsed, ${decoded.spanCount} decoded`);
}

const jsonMutated = (scale: FuzzScale): FuzzTarget<{ index: number; mutations: readonly JsonMutation[] }> => ({
  name: 'otlp-json-mutated',
  input: fc.record({ index: fc.nat(), mutations: fc.array(jsonMutation(scale), { minLength: 1, maxLength: 4 }) }),
  check: ({ index, mutations }) => {
    const docs = corpus().json;
    checkOtlpJson(mutateJson(docs[index % docs.length], mutations));
  },
  shortRuns: 500,
});

const jsonRandom: FuzzTarget<unknown> = {
  name: 'otlp-json-random',
  input: fc.jsonValue({ maxDepth: 6 }),
  check: (value) => checkOtlpJson(JSON.stringify(value) ?? 'null'),
  shortRuns: 500,
};

/** The OTLP decoders' fuzz targets, with inputs sized for `scale`. */
export function otlpFuzzTargets(scale: FuzzScale): FuzzTarget[] {
  return [target(protobufMutated(scale)), target(protobufRandom), target(protobufDeep(scale)), target(jsonMutated(scale)), target(jsonRandom)];
}
