import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonValueSplitter } from './json-splitter.js';
import type { JsonValueResult } from './json-splitter.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Feeds `input` in chunks cut at `cuts` (byte offsets) and collects every result. */
function split(input: Uint8Array, cuts: readonly number[] = []): JsonValueResult[] {
  const splitter = new JsonValueSplitter();
  const out: JsonValueResult[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].filter((c) => c > 0 && c < input.length).sort((a, b) => a - b)) {
    out.push(...splitter.push(input.slice(from, cut)));
    from = cut;
  }
  out.push(...splitter.push(input.slice(from)));
  out.push(...splitter.end());
  return out;
}
const values = (results: readonly JsonValueResult[]): unknown[] => results.map((r) => (r.ok ? r.value : { error: r.error }));

/** What the splitter promises: integer literals beyond ±2^53 arrive as their decimal text. */
function withBigIntegersAsText(value: unknown): unknown {
  if (typeof value === 'number') return /^-?\d+$/.test(String(value)) && !Number.isSafeInteger(value) ? String(value) : value;
  if (Array.isArray(value)) return value.map(withBigIntegersAsText);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withBigIntegersAsText(v)]));
  }
  return value;
}

describe('JsonValueSplitter', () => {
  it('reads one pretty-printed object', () => {
    const doc = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [] }] };
    const results = split(bytes(JSON.stringify(doc, null, 2) + '\n'));
    expect(values(results)).toEqual([doc]);
    expect(results[0]).toMatchObject({ line: 1, offsetBytes: 0 });
  });

  it('reads JSON lines, with blank lines and CRLF, reporting where each value starts', () => {
    const results = split(bytes('{"a":1}\r\n\n{"b":"x\\n}"}\n{"c":[1,{"d":2}]}'));
    expect(values(results)).toEqual([{ a: 1 }, { b: 'x\n}' }, { c: [1, { d: 2 }] }]);
    expect(results.map((r) => [r.line, r.offsetBytes])).toEqual([[1, 0], [3, 10], [4, 23]]);
  });

  it('loses only the broken line of a JSON lines file', () => {
    const results = split(bytes('{"a":1}\n{"b": [1, 2\n{"c":3}\n'));
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ line: 2, error: expect.stringContaining('line 2: invalid JSON') });
    expect(values(results)[2]).toEqual({ c: 3 });
  });

  it('reads several pretty-printed objects in a row', () => {
    const results = split(bytes('{\n "a": 1\n}\n{\n "b": 2\n}'));
    expect(values(results)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(results.map((r) => r.line)).toEqual([1, 4]);
  });

  it('reports a value cut off at the end of the file', () => {
    const results = split(bytes('{\n "a": [1, 2'));
    expect(results).toEqual([expect.objectContaining({ ok: false, line: 1 })]);
  });

  it('keeps integers beyond 2^53 exact by reading them as decimal strings; leaves other numbers alone', () => {
    const results = split(bytes('{"startTimeUnixNano": 1544712660300000123, "n": -9007199254740993, "small": 1700000000, "f": 1.5e300, "s": "12345678901234567890"}\n'));
    expect(values(results)).toEqual([
      { startTimeUnixNano: '1544712660300000123', n: '-9007199254740993', small: 1700000000, f: 1.5e300, s: '12345678901234567890' },
    ]);
  });

  it('skips a UTF-8 byte order mark and decodes multi-byte characters split across chunks', () => {
    const input = bytes('\uFEFF{"name":"zürich → 東京"}\n');
    for (let cut = 1; cut < input.length; cut++) {
      expect(values(split(input, [cut]))).toEqual([{ name: 'zürich → 東京' }]);
    }
  });

  it('gives the same values however the input is chunked', () => {
    const docs = fc.array(fc.jsonValue().map((v) => ({ v, big: 12345678901234567890n })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(docs, fc.boolean(), fc.array(fc.nat(), { maxLength: 20 }), (objects, pretty, cuts) => {
        const serialize = (o: { v: unknown; big: bigint }) =>
          JSON.stringify({ v: o.v }, null, pretty ? 2 : undefined).replace(/^\{/, `{"big": ${o.big},`);
        const input = bytes(objects.map(serialize).join('\n') + '\n');
        const expected = objects.map((o) => ({ big: o.big.toString(), ...(withBigIntegersAsText(JSON.parse(JSON.stringify({ v: o.v }))) as object) }));
        const got = split(input, cuts.map((c) => c % (input.length + 1)));
        expect(got.every((r) => r.ok)).toBe(true);
        expect(values(got)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('JsonValueSplitter on a byte order mark cut by a chunk boundary (regression found by fuzzing)', () => {
  it('skips the mark however the first chunks are cut', () => {
    const input = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"a":1}\n{"b":2}\n')]);
    const expected = split(input);
    expect(values(expected)).toEqual([{ a: 1 }, { b: 2 }]);
    for (const cuts of [[1], [2], [1, 2], [3], [1, 5]]) expect(split(input, cuts)).toEqual(expected);
  });

  it('reads a one- or two-byte stream that only starts like a mark as content', () => {
    expect(split(new Uint8Array([0xef]), [])).toEqual([{ ok: false, error: expect.stringMatching(/^line 1: invalid JSON/), line: 1, offsetBytes: 0 }]);
    expect(split(new Uint8Array([0xef, 0xbb]), [1])).toHaveLength(1);
  });
});
