/**
 * JSON text of a parsed JSON value, for warnings and for foreign tag values that must become
 * strings. Unlike `JSON.stringify`, which recurses once per level and throws `RangeError` on the
 * deeply nested values `JSON.parse` happily builds (a hostile file can nest 100,000 levels),
 * containers deeper than `maxDepth` are written as `[…]` / `{…}`, and writing stops once the text
 * passes `maxChars` (the result then ends in `…`).
 */
export function jsonText(value: unknown, maxChars = Infinity, maxDepth = 32): string {
  const parts: string[] = [];
  let length = 0;
  const emit = (text: string): void => {
    parts.push(text);
    length += text.length;
  };
  const write = (v: unknown, depth: number): void => {
    if (typeof v === 'string') emit(JSON.stringify(Number.isFinite(maxChars) && v.length > maxChars ? v.slice(0, maxChars + 1) : v));
    else if (typeof v !== 'object' || v === null) emit(JSON.stringify(v) ?? 'null');
    else if (depth >= maxDepth) emit(Array.isArray(v) ? '[…]' : '{…}');
    else if (Array.isArray(v)) {
      emit('[');
      for (let i = 0; i < v.length && length <= maxChars; i++) {
        if (i > 0) emit(',');
        write(v[i], depth + 1);
      }
      emit(']');
    } else {
      emit('{');
      let first = true;
      for (const key in v) {
        if (length > maxChars) break;
        if (!Object.hasOwn(v, key)) continue;
        if (!first) emit(',');
        first = false;
        emit(`${JSON.stringify(key)}:`);
        write((v as Record<string, unknown>)[key], depth + 1);
      }
      emit('}');
    }
  };
  write(value, 0);
  const text = parts.join('');
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
