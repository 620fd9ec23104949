import { TextDecoder } from 'node:util';

/**
 * Splits a stream of bytes holding JSON values — one value (possibly pretty-printed over many
 * lines), or one value per line (JSON lines) — into parsed values, chunk by chunk, so a large
 * file is read once and only one value is held at a time.
 *
 * The layout is decided by the first value: if it ends on the line it started on, the stream is
 * JSON lines and every later line is parsed on its own, so one corrupt line costs only that line
 * (a corrupt *first* line makes the rest one broken value). Otherwise values are delimited by
 * their brackets (a pretty-printed object, or several in a row).
 *
 * Integer literals beyond ±2^53 (OTLP/JSON writers sometimes print nanosecond times as bare
 * numbers) are turned into decimal strings before parsing, which OTLP/JSON readers accept for
 * 64-bit fields and which keeps them exact; `JSON.parse` would round them.
 */
export type JsonValueResult =
  | { readonly ok: true; readonly value: unknown; readonly line: number; readonly offsetBytes: number }
  | { readonly ok: false; readonly error: string; readonly line: number; readonly offsetBytes: number };

const NEWLINE = 0x0a;
const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const isWhitespace = (b: number): boolean => b === 0x20 || b === NEWLINE || b === 0x0d || b === 0x09;

export class JsonValueSplitter {
  private mode: 'undecided' | 'lines' | 'brackets' = 'undecided';
  /** Absolute offset of the next byte pushed. */
  private offset = 0;
  /** Line of the next byte (1-based). */
  private line = 1;
  /** Bracket scan state, carried across chunks. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The value being read: its start (-1: between values), first line and bytes so far. */
  private valueStart = -1;
  private valueLine = 1;
  private valueHasNewline = false;
  /** Views into pushed chunks, which the caller must not reuse until the value completes. */
  private parts: Uint8Array[] = [];
  private readonly decoder = new TextDecoder();
  /**
   * The first bytes, held back while they could still be a UTF-8 byte order mark cut by a chunk
   * boundary; undefined once the start of the stream is decided.
   */
  private head: Uint8Array | undefined = new Uint8Array(0);

  /** Feeds the next chunk; returns the values it completed, in order. */
  push(chunk: Uint8Array): JsonValueResult[] {
    if (this.head === undefined) return this.read(chunk, 0);
    const start = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
    if (start.length < BOM.length && BOM.subarray(0, start.length).every((b, i) => start[i] === b)) {
      this.head = start;
      return [];
    }
    this.head = undefined;
    return this.read(start, BOM.every((b, i) => start[i] === b) ? BOM.length : 0);
  }

  private read(chunk: Uint8Array, from: number): JsonValueResult[] {
    const out: JsonValueResult[] = [];
    let i = from;
    while (i < chunk.length) {
      if (this.valueStart < 0) {
        while (i < chunk.length && isWhitespace(chunk[i]!)) if (chunk[i++] === NEWLINE) this.line++;
        if (i === chunk.length) break;
        this.valueStart = this.offset + i;
        this.valueLine = this.line;
        this.valueHasNewline = false;
      }
      const partFrom = Math.max(0, this.valueStart - this.offset);

      if (this.mode === 'lines') {
        const newline = chunk.indexOf(NEWLINE, i);
        if (newline < 0) {
          this.parts.push(chunk.subarray(partFrom));
          break;
        }
        this.parts.push(chunk.subarray(partFrom, newline));
        out.push(this.finishValue());
        this.line++;
        i = newline + 1;
        continue;
      }

      const end = this.scanBrackets(chunk, i);
      if (end < 0) {
        this.parts.push(chunk.subarray(partFrom));
        break;
      }
      if (this.mode === 'undecided') this.mode = this.valueHasNewline ? 'brackets' : 'lines';
      i = end + 1;
      // In JSON lines the value runs on to the end of its line (trailing junk then fails to parse).
      if (this.mode === 'brackets') {
        this.parts.push(chunk.subarray(partFrom, i));
        out.push(this.finishValue());
      } else if (i === chunk.length) {
        this.parts.push(chunk.subarray(partFrom));
      }
    }
    this.offset += chunk.length;
    return out;
  }

  /** Call at the end of the stream: completes a last value without a trailing newline, or reports a cut-off one. */
  end(): JsonValueResult[] {
    const held = this.head;
    this.head = undefined;
    // A stream of one or two bytes that began like a byte order mark: they are content after all.
    const out = held !== undefined && held.length > 0 ? this.read(held, 0) : [];
    if (this.valueStart >= 0) out.push(this.finishValue());
    return out;
  }

  /** Scans from `from` for the bracket that closes the current value; -1 if the chunk ends first. */
  private scanBrackets(chunk: Uint8Array, from: number): number {
    let { depth, inString, escaped, line, valueHasNewline } = this;
    let end = -1;
    for (let i = from; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        if (--depth === 0) {
          end = i;
          break;
        }
      } else if (b === NEWLINE) {
        line++;
        valueHasNewline = true;
      }
    }
    Object.assign(this, { depth, inString, escaped, line, valueHasNewline });
    return end;
  }

  private finishValue(): JsonValueResult {
    const start = this.valueStart;
    const line = this.valueLine;
    const parts = this.parts;
    this.parts = [];
    this.valueStart = -1;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    const text = quoteBigIntegers(decodeParts(this.decoder, parts).trimEnd());
    if (text === '') return { ok: false, error: `line ${line}: empty value`, line, offsetBytes: start };
    try {
      return { ok: true, value: JSON.parse(text) as unknown, line, offsetBytes: start };
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: `line ${line}: invalid JSON (${message})`, line, offsetBytes: start };
    }
  }
}

function decodeParts(decoder: TextDecoder, parts: readonly Uint8Array[]): string {
  if (parts.length === 1) return decoder.decode(parts[0]);
  const length = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return decoder.decode(bytes);
}

/** A number literal of 16+ digits outside a string (strings start with a quote, literals after `:`, `[`, `,` or space). */
const MAYBE_BIG_INTEGER = /[:,[\s]-?\d{16}/;

/** Quotes integer literals that `JSON.parse` cannot hold exactly; strings and other numbers are untouched. */
export function quoteBigIntegers(text: string): string {
  if (!MAYBE_BIG_INTEGER.test(text)) return text;
  let out = '';
  let copied = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && /[\d.eE+-]/.test(text[j]!)) j++;
      const token = text.slice(i, j);
      if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copied, i)}"${token}"`;
        copied = j;
      }
      i = j - 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}
