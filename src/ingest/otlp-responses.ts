/**
 * The few OTLP response messages receivers send: `ExportTraceServiceResponse` (with
 * `ExportTracePartialSuccess`) and `google.rpc.Status`, in protobuf and OTLP/JSON form.
 */

export interface PartialSuccess {
  readonly rejectedSpans: number;
  readonly errorMessage: string;
}

/** `ExportTraceServiceResponse`: empty on full success, `partial_success` (field 1) otherwise. */
export function exportResponseProtobuf(partial: PartialSuccess | undefined): Uint8Array {
  if (partial === undefined) return new Uint8Array(0);
  const inner = concat([
    field(1, 0, varint(partial.rejectedSpans)),
    partial.errorMessage ? field(2, 2, lengthDelimited(utf8(partial.errorMessage))) : new Uint8Array(0),
  ]);
  return field(1, 2, lengthDelimited(inner));
}

export function exportResponseJson(partial: PartialSuccess | undefined): string {
  if (partial === undefined) return '{}';
  return JSON.stringify({ partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } });
}

/** `google.rpc.Status { int32 code = 1; string message = 2; }` with a gRPC status code. */
export function statusProtobuf(code: number, message: string): Uint8Array {
  return concat([field(1, 0, varint(code)), field(2, 2, lengthDelimited(utf8(message)))]);
}

export function statusJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = BigInt.asUintN(64, BigInt(value));
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Uint8Array.from(bytes);
}

function lengthDelimited(payload: Uint8Array): Uint8Array {
  return concat([varint(payload.length), payload]);
}

function field(number: number, wireType: 0 | 2, payload: Uint8Array): Uint8Array {
  return concat([varint((number << 3) | wireType), payload]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
