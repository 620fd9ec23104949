import type { OtlpTraceRequest } from '../model/otlp.js';
import { jsonText } from './json-text.js';

/**
 * What converting one foreign trace document (Zipkin, Jaeger) into OTLP yields.
 *
 * `ok: false` only when the document as a whole is not of the expected shape (e.g. a Zipkin file
 * whose top level is not an array). Bad entries inside a well-shaped document are skipped and
 * named in `warnings`, so one broken span never costs the user the rest of the file.
 */
export type ImportResult =
  | { readonly ok: true; readonly request: OtlpTraceRequest; readonly warnings: string[] }
  | { readonly ok: false; readonly error: string };

/** Warnings kept per document; a file with a million broken spans must not print a million lines. */
export const MAX_WARNINGS = 100;

/** Collects warnings up to `MAX_WARNINGS` and counts the rest. */
export class Warnings {
  private readonly kept: string[] = [];
  private dropped = 0;

  add(message: string): void {
    if (this.kept.length < MAX_WARNINGS) this.kept.push(message);
    else this.dropped++;
  }

  toArray(): string[] {
    return this.dropped === 0 ? [...this.kept] : [...this.kept, `… and ${this.dropped} more warnings`];
  }
}

/**
 * A JSON value for a warning, cut to a readable length (hostile input may carry megabyte strings
 * or values nested 100,000 deep), and never more work than that length needs.
 */
export function preview(value: unknown): string {
  return value === undefined ? 'undefined' : jsonText(value, 60, 8);
}
