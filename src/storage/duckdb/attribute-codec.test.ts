import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AnyValue, KeyValue } from '../../model/otlp.js';
import { decodeAttributes, encodeAttributes, flattenAttributes } from './attribute-codec.js';

const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'grapheme' }).map((s) => ({ stringValue: s })),
    fc.boolean().map((b) => ({ boolValue: b })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((i) => ({ intValue: i })),
    fc.double().map((d) => ({ doubleValue: d })),
    fc.uint8Array({ maxLength: 16 }).map((b) => ({ bytesValue: b })),
    fc.constant({ empty: true as const }),
    fc.array(tie('value'), { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
    fc.array(fc.record({ key: fc.string(), value: tie('value') }), { maxLength: 3 }).map((values) => ({ kvlistValue: { values } })),
  ),
})).value;

describe('attribute codec', () => {
  it('round-trips every AnyValue exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.string(), value: anyValue }), { maxLength: 6 }), (attributes: KeyValue[]) => {
        const back = decodeAttributes(encodeAttributes(attributes));
        expect(back).toEqual(attributes);
      }),
    );
  });

  it('keeps the doubles plain JSON cannot hold', () => {
    const attributes: KeyValue[] = [-0, Number.NaN, Infinity, -Infinity, 5e-324].map((d, i) => ({ key: `d${i}`, value: { doubleValue: d } }));
    const back = decodeAttributes(encodeAttributes(attributes)).map((kv) => (kv.value as { doubleValue: number }).doubleValue);
    expect(Object.is(back[0], -0)).toBe(true);
    expect(back.slice(1)).toEqual([Number.NaN, Infinity, -Infinity, 5e-324]);
  });

  it('stores the OTLP/JSON shape, so the text is readable in SQL', () => {
    expect(encodeAttributes([{ key: 'service.name', value: { stringValue: 'cart' } }, { key: 'n', value: { intValue: 7n } }])).toBe(
      '[{"key":"service.name","value":{"stringValue":"cart"}},{"key":"n","value":{"intValue":"7"}}]',
    );
  });

  it('flattens values to text for zone rules; a repeated key keeps its last value', () => {
    const flat = flattenAttributes([
      { key: 'k8s.namespace.name', value: { stringValue: 'prod' } },
      { key: 'up', value: { boolValue: true } },
      { key: 'pid', value: { intValue: 4242n } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
      { key: 'raw', value: { bytesValue: new Uint8Array([1, 2, 3]) } },
      { key: 'none', value: { empty: true } },
      { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }] } } },
      { key: '__proto__', value: { stringValue: 'first' } },
      { key: '__proto__', value: { stringValue: 'second' } },
    ]);
    expect(Object.fromEntries(flat)).toEqual({
      'k8s.namespace.name': 'prod',
      up: 'true',
      pid: '4242',
      ratio: '0.5',
      raw: 'AQID',
      none: '',
      list: '{"arrayValue":{"values":[{"stringValue":"a"}]}}',
      ['__proto__']: 'second',
    });
  });
});
