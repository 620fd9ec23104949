/**
 * Fuzzing with fixed seeds and bounded runs: random bytes and mutated valid payloads (bit flips,
 * byte changes, truncation, insertion, deletion, corrupted length prefixes) must always give an
 * outcome, and the hot and slow decoders must agree on which inputs are well-formed. Mutated
 * OTLP/JSON values must parse or fail cleanly, and whatever parses must encode to a request the
 * hot decoder accepts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../model/ids.js';
import { traceRequest } from './arbitraries.test-support.js';
import { decodeSpan, decodeTraceRequestToModel } from './decode-message.js';
import { decodeTraceRequest } from './decode-request.js';
import { encodeTraceRequest } from './encode.js';
import { parseTraceRequestJson, traceRequestToJson } from './json.js';
import { ProtoDecodeError, ProtoReader, WireType } from './proto-reader.js';
import { semanticsOfSpan } from './semantics.js';

const SEED = 20_260_101;

/** Runs both decoders on `bytes` and checks everything they must agree on. */
function checkDecoders(bytes: Uint8Array): void {
  const outcome = decodeTraceRequest(bytes);
  let slowError: unknown;
  try {
    decodeTraceRequestToModel(bytes);
  } catch (e: unknown) {
    slowError = e;
  }
  if (slowError !== undefined && !(slowError instanceof ProtoDecodeError)) throw slowError;
  expect(outcome.ok, outcome.ok ? 'hot accepted what slow rejected' : `hot rejected what slow accepted: ${outcome.error}`).toBe(slowError === undefined);
  if (!outcome.ok) {
    expect(outcome.error).toMatch(/^malformed protobuf: /);
    return;
  }
  const { batch, rejected, spanCount } = outcome;
  expect(batch.length + rejected.reduce((n, r) => n + r.count, 0)).toBe(spanCount);
  for (let i = 0; i < batch.length; i++) {
    const span = decodeSpan(batch.payloads[i]!);
    expect(bytesToHex(span.traceId)).toBe(bytesToHex(batch.traceIds.subarray(16 * i, 16 * i + 16)));
    expect(bytesToHex(span.spanId)).toBe(bytesToHex(batch.spanIds.subarray(8 * i, 8 * i + 8)));
    expect(span.name).toBe(batch.names[i]);
    expect(span.status.message).toBe(batch.statusMessages[i]);
    expect(BigInt.asIntN(64, span.startTimeUnixNano)).toBe(batch.startTimeUnixNano[i]);
    expect(batch.semantics[i]).toEqual(semanticsOfSpan(span));
  }
}

/** Offsets of every length prefix in `bytes`, found by reading each length-delimited field as a message where it parses as one. */
function lengthPrefixOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number): boolean => {
    const r = new ProtoReader(bytes, start);
    const found: number[] = [];
    const nested: [number, number][] = [];
    try {
      while (r.pos < end) {
        const tag = r.readTag();
        if ((tag & 7) === WireType.LEN) {
          found.push(r.pos);
          const e = r.readDelimitedEnd(end);
          nested.push([r.pos, e]);
          r.pos = e;
        } else r.skipField(tag, end);
      }
      r.expectEnd(end);
    } catch {
      return false;
    }
    out.push(...found);
    if (depth < 8) for (const [s, e] of nested) if (e > s) walk(s, e, depth + 1);
    return true;
  };
  walk(0, bytes.length, 0);
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'length'; which: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x0b, 0x0f, 0x12) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('length' as const), which: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) }),
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(original);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = 'at' in m ? m.at % bytes.length : 0;
    switch (m.kind) {
      case 'flip':
        bytes[at] = bytes[at]! ^ (1 << m.bit);
        break;
      case 'set':
        bytes[at] = m.value;
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
      case 'insert':
        bytes = Uint8Array.of(...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at));
        break;
      case 'delete':
        bytes = Uint8Array.of(...bytes.subarray(0, at), ...bytes.subarray(at + m.count));
        break;
      case 'length': {
        const offsets = lengthPrefixOffsets(bytes);
        if (offsets.length > 0) bytes[offsets[m.which % offsets.length]!] = m.value;
        break;
      }
    }
  }
  return bytes;
}

const corpus = fc.sample(traceRequest({ validIds: false }), { seed: SEED, numRuns: 40 }).map(encodeTraceRequest);

describe('fuzz: protobuf decoders', () => {
  it('give an outcome for random bytes, and agree with each other', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => checkDecoders(bytes)), { seed: SEED, numRuns: 3000 });
  });

  it('give an outcome for mutated valid payloads, and agree with each other', () => {
    let rejectedCount = 0;
    fc.assert(
      fc.property(fc.nat(corpus.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (index, mutations) => {
        const bytes = mutate(corpus[index]!, mutations);
        checkDecoders(bytes);
        if (!decodeTraceRequest(bytes).ok) rejectedCount++;
      }),
      { seed: SEED, numRuns: 3000 },
    );
    // The mutations must actually reach the error paths, not just produce other valid requests.
    expect(rejectedCount).toBeGreaterThan(300);
  });
});

/** Replaces, deletes or retypes one node of a JSON value, chosen by `pick`. */
function mutateJson(value: unknown, pick: number, replacement: unknown, action: number): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => { nodes.push({ parent: v, key: i }); collect(x); });
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) { nodes.push({ parent: v as Record<string, unknown>, key: k }); collect(x); }
  };
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  collect(copy);
  if (nodes.length === 0) return replacement;
  const { parent, key } = nodes[pick % nodes.length]!;
  const target = parent as Record<string | number, unknown>;
  if (action === 0 && !Array.isArray(parent)) delete target[key];
  else if (action === 1 && typeof target[key] === 'string') target[key] = `${target[key] as string}zz`;
  else target[key] = replacement;
  return copy;
}

describe('fuzz: OTLP/JSON parser', () => {
  const jsonCorpus = fc.sample(traceRequest({ validIds: false }), { seed: SEED, numRuns: 30 }).map((r) => JSON.parse(JSON.stringify(traceRequestToJson(r))) as unknown);

  it('never throws on mutated requests, and what it accepts the hot decoder accepts', () => {
    let failures = 0;
    fc.assert(
      fc.property(fc.nat(jsonCorpus.length - 1), fc.nat(), fc.jsonValue({ maxDepth: 3 }), fc.nat(2), (index, pick, replacement, action) => {
        const outcome = parseTraceRequestJson(mutateJson(jsonCorpus[index], pick, replacement, action));
        if (!outcome.ok) {
          failures++;
          expect(outcome.error).toMatch(/^[\w.[\]]+: /);
          return;
        }
        const decoded = decodeTraceRequest(encodeTraceRequest(outcome.request));
        expect(decoded.ok).toBe(true);
      }),
      { seed: SEED, numRuns: 3000 },
    );
    expect(failures).toBeGreaterThan(100);
  });

  it('never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const outcome = parseTraceRequestJson(value);
        if (outcome.ok) expect(decodeTraceRequest(encodeTraceRequest(outcome.request)).ok).toBe(true);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});
