/**
 * Structure-aware mutation of protobuf messages, for fuzzing (not shipped code).
 *
 * A message is read into a tree of fields — a length-delimited field whose content parses as a
 * message becomes a node with children, else it stays bytes — mutated as a tree and written back
 * with every enclosing length recomputed, so a mutation deep inside a span reaches the code that
 * reads that field instead of failing at the outermost length. Byte-level corruption (flips,
 * truncation, wrong length prefixes) is applied on top, after writing.
 */
import fc from 'fast-check';
import type { FuzzScale } from './fuzz-target.test-support.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

export interface ProtoField {
  /** Field number. */
  readonly field: number;
  /** Wire type as written; a mutation may make it disagree with the payload. */
  wireType: number;
  /** The encoded payload: varint bytes, 8 or 4 fixed bytes, or a length-delimited field's content. */
  payload: Uint8Array;
  /** For a length-delimited field whose content parses as a message: its fields. */
  children: ProtoField[] | undefined;
}

const MAX_TREE_DEPTH = 12;

function readVarint(buf: Uint8Array, pos: number): { value: number; end: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) return undefined;
    const b = buf[pos + i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return { value, end: pos + i + 1 };
  }
  return undefined;
}

/** The fields of `buf` read as a message, or undefined when it does not parse as one. */
export function parseFields(buf: Uint8Array, depth = 0): ProtoField[] | undefined {
  const out: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = readVarint(buf, pos);
    if (tag === undefined || tag.value < 8 || tag.value > 0xffff_ffff) return undefined;
    const wireType = tag.value % 8;
    const field = Math.floor(tag.value / 8);
    pos = tag.end;
    let payload: Uint8Array;
    if (wireType === VARINT) {
      const v = readVarint(buf, pos);
      if (v === undefined) return undefined;
      payload = buf.subarray(pos, v.end);
      pos = v.end;
    } else if (wireType === I64 || wireType === I32) {
      const n = wireType === I64 ? 8 : 4;
      if (pos + n > buf.length) return undefined;
      payload = buf.subarray(pos, pos + n);
      pos += n;
    } else if (wireType === LEN) {
      const length = readVarint(buf, pos);
      if (length === undefined || length.end + length.value > buf.length) return undefined;
      payload = buf.subarray(length.end, length.end + length.value);
      pos = length.end + length.value;
    } else return undefined;
    const children = wireType === LEN && payload.length > 0 && depth < MAX_TREE_DEPTH ? parseFields(payload, depth + 1) : undefined;
    out.push({ field, wireType, payload, children });
  }
  return out;
}

function varintBytes(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** Writes fields back, lengths recomputed from the (possibly mutated) content. */
export function writeFields(fields: readonly ProtoField[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    parts.push(Uint8Array.from(varintBytes(f.field * 8 + f.wireType)));
    if (f.wireType === LEN || f.children !== undefined) {
      const content = f.children !== undefined ? writeFields(f.children) : f.payload;
      // A retyped message field keeps its content but writes it as the new wire type says.
      if (f.wireType === LEN) parts.push(Uint8Array.from(varintBytes(content.length)));
      parts.push(content);
    } else parts.push(f.payload);
  }
  return Buffer.concat(parts);
}

/** Every field of the tree, with the list it sits in (for deletion and insertion). */
function allFields(fields: ProtoField[]): { list: ProtoField[]; index: number }[] {
  const out: { list: ProtoField[]; index: number }[] = [];
  const stack: ProtoField[][] = [fields];
  while (stack.length > 0) {
    const list = stack.pop()!;
    list.forEach((f, index) => {
      out.push({ list, index });
      if (f.children !== undefined) stack.push(f.children);
    });
  }
  return out;
}

const nestedCache = new Map<string, Uint8Array>();

/**
 * AnyValue `{array_value: {values: [AnyValue …]}}` (or the kvlist equivalent) nested `depth`
 * times around an int. Every level is a header before the inner value, so the headers are
 * computed inside out and written outside in: linear in `depth`, no recursion.
 */
export function nestedAnyValue(depth: number, kind: 'array' | 'kvlist' = 'array'): Uint8Array {
  const key = `${kind}:${depth}`;
  const cached = nestedCache.get(key);
  if (cached !== undefined) return cached;
  const core = [0x18, 0x01]; // AnyValue { int_value: 1 }
  const headers: number[][] = [];
  let size = core.length;
  for (let i = 0; i < depth; i++) {
    // ArrayValue { values (1): AnyValue } or KeyValueList { values (1): KeyValue { key (1): "k", value (2): AnyValue } }
    const elementHeader = kind === 'array' ? [] : [0x0a, 0x01, 0x6b, 0x12, ...varintBytes(size)];
    const element = elementHeader.length + size;
    const listHeader = [0x0a, ...varintBytes(element)];
    const list = listHeader.length + element;
    const valueHeader = [kind === 'array' ? 0x2a : 0x32, ...varintBytes(list)];
    const header = [...valueHeader, ...listHeader, ...elementHeader];
    headers.push(header);
    size += header.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = headers.length - 1; i >= 0; i--) {
    out.set(headers[i]!, at);
    at += headers[i]!.length;
  }
  out.set(core, at);
  nestedCache.set(key, out);
  return out;
}

export type TreeMutation =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'duplicate'; readonly at: number }
  | { readonly kind: 'swap'; readonly at: number; readonly other: number }
  | { readonly kind: 'wire-type'; readonly at: number; readonly wireType: number }
  | { readonly kind: 'varint'; readonly at: number; readonly value: bigint }
  | { readonly kind: 'bytes'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'long-bytes'; readonly at: number; readonly length: number; readonly fill: number }
  | { readonly kind: 'nest'; readonly at: number; readonly depth: number; readonly nesting: 'array' | 'kvlist' }
  | { readonly kind: 'move'; readonly at: number; readonly into: number }
  | { readonly kind: 'unknown-field'; readonly at: number; readonly field: number; readonly wireType: number; readonly payload: Uint8Array };

export type ByteMutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete-bytes'; readonly at: number; readonly count: number }
  | { readonly kind: 'huge-length'; readonly at: number; readonly varint: Uint8Array };

const EDGE_VARINTS = [0n, 1n, 2n, 5n, 6n, 127n, 128n, 0xffff_ffffn, 1n << 32n, (1n << 63n) - 1n, -1n, -(1n << 63n)];

export const treeMutation = (scale: FuzzScale): fc.Arbitrary<TreeMutation> => fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('wire-type' as const), at: fc.nat(), wireType: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7) }),
  fc.record({ kind: fc.constant('varint' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...EDGE_VARINTS), fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n })) }),
  fc.record({
    kind: fc.constant('bytes' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.constantFrom(new Uint8Array(0), new Uint8Array(8), new Uint8Array(16), Uint8Array.of(0xff, 0xfe, 0xc3), Uint8Array.of(0xed, 0xa0, 0x80)),
      fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
    ),
  }),
  fc.record({ kind: fc.constant('long-bytes' as const), at: fc.nat(), length: fc.integer({ min: 100, max: scale === 'long' ? 200_000 : 20_000 }), fill: fc.constantFrom(0x41, 0xc3, 0xe2, 0x00) }),
  fc.record({ kind: fc.constant('nest' as const), at: fc.nat(), depth: fc.oneof(fc.integer({ min: 60, max: 70 }), fc.constantFrom(1, 63, 64, 65, 1_000, ...(scale === 'long' ? [100_000] : []))), nesting: fc.constantFrom('array' as const, 'kvlist' as const) }),
  fc.record({ kind: fc.constant('move' as const), at: fc.nat(), into: fc.nat() }),
  fc.record({
    kind: fc.constant('unknown-field' as const),
    at: fc.nat(),
    field: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(1000, 536_870_911)),
    wireType: fc.constantFrom(0, 1, 2, 5),
    payload: fc.uint8Array({ maxLength: 10 }),
  }),
);

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x08, 0x0b, 0x0f, 0x12, 0x1a) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete-bytes' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant('huge-length' as const),
    at: fc.nat(),
    varint: fc.constantFrom(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x10), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)),
  }),
);

/** Applies tree mutations to a parsed copy of `original` (a message) and writes it back. */
export function mutateTree(original: Uint8Array, mutations: readonly TreeMutation[]): Uint8Array {
  const root = parseFields(original);
  if (root === undefined) return original;
  for (const m of mutations) {
    const fields = allFields(root);
    if (fields.length === 0) break;
    const { list, index } = fields[m.at % fields.length]!;
    const f = list[index]!;
    switch (m.kind) {
      case 'delete':
        list.splice(index, 1);
        break;
      case 'duplicate':
        list.splice(index + 1, 0, cloneField(f));
        break;
      case 'swap': {
        const other = (index + 1 + (m.other % Math.max(1, list.length - 1))) % list.length;
        [list[index], list[other]] = [list[other]!, f];
        break;
      }
      case 'wire-type':
        f.wireType = m.wireType;
        break;
      case 'varint':
        list[index] = { field: f.field, wireType: VARINT, payload: Uint8Array.from(varintBytes(m.value)), children: undefined };
        break;
      case 'bytes':
        list[index] = { field: f.field, wireType: LEN, payload: m.bytes, children: undefined };
        break;
      case 'long-bytes':
        list[index] = { field: f.field, wireType: LEN, payload: new Uint8Array(m.length).fill(m.fill), children: undefined };
        break;
      case 'nest':
        list[index] = { field: f.field, wireType: LEN, payload: nestedAnyValue(m.depth, m.nesting), children: undefined };
        break;
      case 'move': {
        const targets = fields.filter((x) => x.list[x.index]!.children !== undefined && x.list[x.index] !== f);
        if (targets.length === 0) break;
        const into = targets[m.into % targets.length]!;
        const intoField = into.list[into.index]!;
        if (contains(f, intoField)) break;
        list.splice(index, 1);
        intoField.children!.push(f);
        break;
      }
      case 'unknown-field':
        list.splice(index, 0, { field: m.field, wireType: m.wireType, payload: fixedPayload(m.wireType, m.payload), children: undefined });
        break;
    }
  }
  return writeFields(root);
}

/** A deep copy: fields are mutated in place, and a shared child list would make the tree a graph. */
function cloneField(f: ProtoField): ProtoField {
  return { ...f, children: f.children?.map(cloneField) };
}

/** Whether `node` is `root` or lies inside it. */
function contains(root: ProtoField, node: ProtoField): boolean {
  const stack = [root];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f === node) return true;
    if (f.children !== undefined) stack.push(...f.children);
  }
  return false;
}

function fixedPayload(wireType: number, bytes: Uint8Array): Uint8Array {
  if (wireType === I64) return Uint8Array.from({ length: 8 }, (_, i) => bytes[i] ?? 0);
  if (wireType === I32) return Uint8Array.from({ length: 4 }, (_, i) => bytes[i] ?? 0);
  if (wireType === VARINT) return Uint8Array.of((bytes[0] ?? 0) & 0x7f);
  return bytes;
}

/** Applies byte-level corruption. */
export function mutateBytes(original: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let bytes = Uint8Array.from(original);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
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
        bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
        break;
      case 'delete-bytes':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.count)]);
        break;
      case 'huge-length': {
        // Replace the length prefix of a length-delimited field (found by a walk) with a huge varint.
        const prefixes = lengthPrefixes(bytes);
        if (prefixes.length === 0) break;
        const p = prefixes[m.at % prefixes.length]!;
        bytes = Buffer.concat([bytes.subarray(0, p.start), m.varint, bytes.subarray(p.end)]);
        break;
      }
    }
  }
  return bytes;
}

/** Where the length prefixes of the length-delimited fields are (start and end of each varint). */
function lengthPrefixes(buf: Uint8Array): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const walk = (from: number, to: number, depth: number): void => {
    let pos = from;
    while (pos < to) {
      const tag = readVarint(buf, pos);
      if (tag === undefined || tag.end > to) return;
      pos = tag.end;
      const wireType = tag.value % 8;
      if (wireType === VARINT) {
        const v = readVarint(buf, pos);
        if (v === undefined) return;
        pos = v.end;
      } else if (wireType === I64) pos += 8;
      else if (wireType === I32) pos += 4;
      else if (wireType === LEN) {
        const length = readVarint(buf, pos);
        if (length === undefined || length.end + length.value > to) return;
        out.push({ start: pos, end: length.end });
        if (depth < 8) walk(length.end, length.end + length.value, depth + 1);
        pos = length.end + length.value;
      } else return;
    }
  };
  walk(0, buf.length, 0);
  return out;
}
