/**
 * Builds an `INSERT … VALUES` body in one growing buffer: text goes in UTF-8, binary values go in
 * raw between quotes with only `\` and `'` escaped (the `Values` format reads bytes, so payloads
 * need no hex or base64). Writing into one buffer instead of concatenating five `Buffer`s per row
 * roughly doubled append throughput in a local measurement (17K → 36K spans/s, loaded machine).
 *
 * Text must already be SQL: callers pass literals from `sql-literal.ts`, never raw input.
 */
const BACKSLASH = 0x5c;
const QUOTE = 0x27;

export class ValuesWriter {
  private buf: Buffer;
  private length = 0;
  private rowCount = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Starts a row: `(`, preceded by the separating comma from the previous row. */
  openRow(): this {
    this.text(this.rowCount++ === 0 ? '(' : ',(');
    return this;
  }

  closeRow(): this {
    return this.text(')');
  }

  /** SQL text (literals, numbers, commas), as UTF-8. */
  text(sql: string): this {
    this.reserve(sql.length * 3);
    this.length += this.buf.write(sql, this.length, 'utf8');
    return this;
  }

  /** A quoted, byte-exact string literal of `bytes`. */
  bytes(bytes: Uint8Array): this {
    this.reserve(bytes.length * 2 + 2);
    const buf = this.buf;
    buf[this.length++] = QUOTE;
    let from = 0;
    let nextBackslash = bytes.indexOf(BACKSLASH);
    let nextQuote = bytes.indexOf(QUOTE);
    while (nextBackslash !== -1 || nextQuote !== -1) {
      const isBackslash = nextQuote === -1 || (nextBackslash !== -1 && nextBackslash < nextQuote);
      const at = isBackslash ? nextBackslash : nextQuote;
      buf.set(bytes.subarray(from, at), this.length);
      this.length += at - from;
      buf[this.length++] = BACKSLASH;
      from = at;
      // Only the consumed position moves on, so each byte is scanned once per kind.
      if (isBackslash) nextBackslash = bytes.indexOf(BACKSLASH, at + 1);
      else nextQuote = bytes.indexOf(QUOTE, at + 1);
    }
    buf.set(bytes.subarray(from), this.length);
    this.length += bytes.length - from;
    buf[this.length++] = QUOTE;
    return this;
  }

  /** The body so far (a view; the writer must not be used afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}
