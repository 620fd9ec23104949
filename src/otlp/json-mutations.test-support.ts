/**
 * Structure-aware mutation of JSON documents, for fuzzing the OTLP/JSON parser and the Zipkin and
 * Jaeger importers (not shipped code). Mutations work on the parsed tree and the result is JSON
 * text, so they can also do what a tree cannot hold: duplicate keys, and nesting far deeper than
 * `JSON.stringify` could write (both are spliced into the text through placeholders).
 */
import fc from 'fast-check';
import type { FuzzScale } from './fuzz-target.test-support.js';

export type JsonMutation =
  | { readonly kind: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'retype'; readonly at: number; readonly to: number }
  | { readonly kind: 'number'; readonly at: number; readonly value: number | string }
  | { readonly kind: 'digits'; readonly at: number; readonly digits: number; readonly quoted: boolean }
  | { readonly kind: 'nest'; readonly at: number; readonly depth: number; readonly brackets: 'array' | 'object' | 'value' }
  | { readonly kind: 'id'; readonly at: number; readonly id: string }
  | { readonly kind: 'duplicate-key'; readonly at: number; readonly value: unknown; readonly first: boolean }
  | { readonly kind: 'long-string'; readonly at: number; readonly length: number; readonly unit: string }
  | { readonly kind: 'copy'; readonly at: number; readonly from: number };

const ID_STRINGS = [
  '', '0', '00000000000000000000000000000000', '0000000000000000', 'zz', '1', 'abc', 'ABCDEF0123456789', 'g'.repeat(16),
  '4bf92f3577b34da6a3ce929d0e0e47365', '4bf92f3577b34da6a3ce929d0e0e47', 'é'.repeat(8), ' 4bf92f3577b34da6 ', '0x1234', '-1',
  'ffffffffffffffffffffffffffffffffff', '123456789abcdef0'.repeat(64),
];

const NUMBERS: (number | string)[] = [
  0, -0, -1, 1.5, 0.1, 1e-7, 1e21, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 63), 4294967296, 4294967295,
  '18446744073709551615', '18446744073709551616', '9223372036854775808', '-9223372036854775809', '-0', '1e3', '0x10', ' 12', '12 ',
  'NaN', 'Infinity', '-Infinity', '', '1.0', '00012',
];

export const jsonMutation = (scale: FuzzScale): fc.Arbitrary<JsonMutation> => fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('retype' as const), at: fc.nat(), to: fc.nat(5) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('number' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...NUMBERS), fc.double(), fc.integer()) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('digits' as const), at: fc.nat(), digits: fc.oneof(fc.integer({ min: 17, max: 40 }), scale === 'long' ? fc.constantFrom(400, 5_000, 3_000_000) : fc.constant(400)), quoted: fc.boolean() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('nest' as const),
      at: fc.nat(),
      depth: fc.oneof(fc.integer({ min: 1, max: 70 }), scale === 'long' ? fc.constantFrom(500, 10_000, 100_000) : fc.constantFrom(500, 10_000)),
      brackets: fc.constantFrom('array' as const, 'object' as const, 'value' as const),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('id' as const), at: fc.nat(), id: fc.oneof(fc.constantFrom(...ID_STRINGS), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 40 }), fc.string({ maxLength: 20 })) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('duplicate-key' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 1 }), first: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('long-string' as const), at: fc.nat(), length: fc.integer({ min: 100, max: scale === 'long' ? 300_000 : 3_000 }), unit: fc.constantFrom('a', 'é', '€', '😀', '"', '\\', '\u0000') }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('copy' as const), at: fc.nat(), from: fc.nat() }), weight: 1 },
);

interface Slot {
  readonly parent: Record<string, unknown> | unknown[];
  readonly key: string | number;
}

/** Every value position of the tree (no recursion, at most `limit` of them: documents may be large). */
function slots(root: unknown, limit = 50_000): Slot[] {
  const out: Slot[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && out.length < limit) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        out.push({ parent: v, key: i });
        stack.push(v[i]);
      }
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k });
        stack.push(x);
      }
    }
  }
  return out;
}

const RETYPED: readonly unknown[] = [null, true, 42, 'text', [], {}];

/** Placeholders: a string value `"\u0001N"` or key `"\u0001N"` in the serialized text stands for splice N. */
const MARK = '\u0001';

/**
 * Applies `mutations` to a copy of `doc` and returns the JSON text. `doc` must be plain JSON
 * (the corpus), shallow enough for `structuredClone`.
 */
export function mutateJson(doc: unknown, mutations: readonly JsonMutation[]): string {
  const root: { doc: unknown } = { doc: structuredClone(doc) };
  const splices: string[] = [];
  const placeholder = (text: string): string => {
    splices.push(text);
    return `${MARK}${splices.length - 1}`;
  };
  for (const m of mutations) {
    const all = slots(root);
    const { parent, key } = all[m.at % all.length]!;
    const target = parent as Record<string | number, unknown>;
    const current = target[key];
    switch (m.kind) {
      case 'replace':
        target[key] = m.value;
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (parent !== root) delete target[key];
        break;
      case 'retype':
        target[key] = structuredClone(RETYPED[m.to % RETYPED.length]);
        break;
      case 'number':
        target[key] = m.value;
        break;
      case 'digits': {
        const digits = `9${'0'.repeat(m.digits - 1)}`;
        target[key] = m.quoted ? digits : placeholder(digits);
        break;
      }
      case 'nest': {
        const [open, close] = m.brackets === 'array' ? ['[', ']'] : m.brackets === 'object' ? ['{"a":', '}'] : ['{"arrayValue":{"values":[', ']}}'];
        target[key] = placeholder(open.repeat(m.depth) + JSON.stringify(current ?? 1) + close.repeat(m.depth));
        break;
      }
      case 'id': {
        // Aim at id-like fields where there are some: pick the nearest slot whose key ends in "id".
        const ids = all.filter((s) => typeof s.key === 'string' && /id$/i.test(s.key));
        const slot = ids.length > 0 ? ids[m.at % ids.length]! : { parent, key };
        (slot.parent as Record<string | number, unknown>)[slot.key] = m.id;
        break;
      }
      case 'duplicate-key': {
        const objects = all.map((s) => (s.parent as Record<string | number, unknown>)[s.key]).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0);
        if (objects.length === 0) break;
        const object = objects[m.at % objects.length]!;
        const keys = Object.keys(object);
        const duplicated = keys[m.at % keys.length]!;
        const marker = placeholder(JSON.stringify(duplicated));
        // JSON.parse keeps the last occurrence: the extra one goes first or last.
        const entries = Object.entries(object);
        for (const k of keys) delete object[k];
        if (m.first) object[marker] = m.value;
        for (const [k, v] of entries) object[k] = v;
        if (!m.first) object[marker] = m.value;
        break;
      }
      case 'long-string':
        target[key] = m.unit.repeat(m.length);
        break;
      case 'copy': {
        const from = all[m.from % all.length]!;
        const value = (from.parent as Record<string | number, unknown>)[from.key];
        if (typeof value !== 'string' || !value.startsWith(MARK)) target[key] = structuredClone(value);
        break;
      }
    }
  }
  const text = JSON.stringify(root.doc) ?? 'null';
  if (splices.length === 0) return text;
  // "\u0001N" as a key or value: the JSON.stringify form of the placeholder is the escaped control character.
  return text.replace(/"\\u0001(\d+)"/g, (_match, n: string) => splices[Number(n)] ?? 'null');
}
