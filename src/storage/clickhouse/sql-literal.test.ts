import { describe, expect, it } from 'vitest';
import { StorageError } from '../api/storage.js';
import { HOSTILE_STRINGS } from '../conformance/harness.js';
import { identifier, int64Literal, stringArrayLiteral, stringLiteral, traceIdLiteral, uint64ArrayLiteral, uint64Literal } from './sql-literal.js';

describe('sql literals', () => {
  it('quotes strings so no input can end the literal early', () => {
    for (const s of HOSTILE_STRINGS) {
      const literal = stringLiteral(s);
      // Every quote inside is escaped: the literal's body has no unescaped quote.
      const body = literal.slice(1, -1).replace(/\\./gs, '');
      expect(body).not.toContain("'");
      expect(body).not.toContain('\\');
    }
    expect(stringLiteral("it's a \\ test\n")).toBe("'it\\'s a \\\\ test\\n'");
    expect(stringArrayLiteral(['a', "b'"])).toBe("['a','b\\'']");
  });

  it('writes integers exactly and rejects those out of range', () => {
    expect(uint64Literal(2n ** 64n - 1n)).toBe('18446744073709551615');
    expect(int64Literal(-(2n ** 63n))).toBe('-9223372036854775808');
    expect(() => uint64Literal(-1n)).toThrow(StorageError);
    expect(() => uint64Literal(2n ** 64n)).toThrow(StorageError);
    expect(() => int64Literal(2n ** 63n)).toThrow(StorageError);
    expect(uint64ArrayLiteral([])).toBe('emptyArrayUInt64()');
  });

  it('accepts only well-formed ids and identifiers', () => {
    expect(traceIdLiteral('0123456789abcdef0123456789abcdef')).toBe("toFixedString(unhex('0123456789abcdef0123456789abcdef'), 16)");
    for (const bad of ["0123456789abcdef0123456789abcde'", '0123456789ABCDEF0123456789ABCDEF', '', 'x'.repeat(32)]) {
      expect(() => traceIdLiteral(bad)).toThrow(StorageError);
    }
    expect(identifier('tributary_1', 'database')).toBe('tributary_1');
    for (const bad of ['a-b', 'a;b', '1abc', '`x`', '']) expect(() => identifier(bad, 'database')).toThrow(StorageError);
  });
});
