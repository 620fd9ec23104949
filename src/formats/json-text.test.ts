import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonText } from './json-text.js';

describe('jsonText', () => {
  it('writes what JSON.stringify writes for ordinary values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      expect(jsonText(v)).toBe(JSON.stringify(v));
    }), { seed: 7, numRuns: 300 });
  });

  it('writes values nested deeper than JSON.stringify can without throwing', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}1${']'.repeat(200_000)}`) as unknown;
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(jsonText(deep, Infinity, 3)).toBe('[[[[…]]]]');
    expect(jsonText({ a: { b: { c: 1 } } }, Infinity, 2)).toBe('{"a":{"b":{…}}}');
  });

  it('stops at maxChars, also inside huge strings and arrays', () => {
    expect(jsonText('x'.repeat(1_000_000), 10)).toBe(`"xxxxxxxxx…`);
    expect(jsonText(Array.from({ length: 1_000_000 }, (_, i) => i), 12)).toBe('[0,1,2,3,4,5…');
    expect(jsonText({ traceId: 12 }, 60)).toBe('{"traceId":12}');
  });
});
