/**
 * A tolerant look at the start of a file that may be JSON: checks the bytes against JSON's grammar
 * as far as they go (a truncated prefix is fine) and records the keys format detection needs.
 * Never builds the document, so it costs nothing on a large prefix.
 */
export interface JsonProbe {
  /** False as soon as a byte cannot be JSON here (e.g. protobuf's control bytes). */
  readonly json: boolean;
  /** Type of the first top-level value, when it began. */
  readonly top: 'object' | 'array' | 'scalar' | undefined;
  /** Keys of the first top-level object, in order, as far as the prefix reaches. */
  readonly topKeys: readonly string[];
  /** Keys of objects inside the top-level object's `data` array (Jaeger's traces). */
  readonly dataElementKeys: readonly string[];
  /** Keys of objects that are elements of a top-level array (Zipkin spans, or Jaeger traces). */
  readonly arrayElementKeys: readonly string[];
}

interface Frame {
  readonly type: 'object' | 'array';
  /** Object: expecting a key, a colon, a value, or a comma/close. Array: a value or a comma/close. */
  state: 'key' | 'colon' | 'value' | 'next';
  /** The object's current key. */
  key: string | undefined;
  /** Commas seen: a container may close right after opening only when it is still empty. */
  commas: number;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER_BYTES = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export function probeJson(bytes: Uint8Array): JsonProbe {
  const topKeys: string[] = [];
  const dataElementKeys: string[] = [];
  const arrayElementKeys: string[] = [];
  const stack: Frame[] = [];
  let top: JsonProbe['top'];
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const result = (json: boolean): JsonProbe => ({ json, top, topKeys, dataElementKeys, arrayElementKeys });

  // Marks a value as having been read in the innermost frame.
  const valueDone = (): void => {
    const frame = stack[stack.length - 1];
    if (frame !== undefined) frame.state = 'next';
  };
  const expectingValue = (): boolean => {
    const frame = stack[stack.length - 1];
    return frame === undefined ? top === undefined : frame.state === 'value';
  };

  while (i < bytes.length) {
    const b = bytes[i]!;
    if (WHITESPACE.has(b)) {
      i++;
      continue;
    }
    const frame = stack[stack.length - 1];
    if (frame === undefined && top !== undefined) return result(true); // first value complete
    if (b === 0x7b || b === 0x5b) {
      if (!expectingValue()) return result(false);
      const type = b === 0x7b ? 'object' : 'array';
      if (stack.length === 0) top = type;
      stack.push({ type, state: type === 'object' ? 'key' : 'value', key: undefined, commas: 0 });
      i++;
      continue;
    }
    if (b === 0x7d || b === 0x5d) {
      const closes = b === 0x7d ? 'object' : 'array';
      if (frame === undefined || frame.type !== closes) return result(false);
      const empty = frame.commas === 0 && frame.state === (closes === 'object' ? 'key' : 'value');
      if (frame.state !== 'next' && !empty) return result(false);
      stack.pop();
      valueDone();
      i++;
      continue;
    }
    if (b === 0x3a) {
      if (frame?.state !== 'colon') return result(false);
      frame.state = 'value';
      i++;
      continue;
    }
    if (b === 0x2c) {
      if (frame?.state !== 'next') return result(false);
      frame.state = frame.type === 'object' ? 'key' : 'value';
      frame.commas++;
      i++;
      continue;
    }
    if (b === 0x22) {
      const end = stringEnd(bytes, i + 1);
      if (end === -1) return result(false);
      if (frame?.state === 'key') {
        if (end === bytes.length) return result(true); // key cut off by the prefix's end
        const key = new TextDecoder().decode(bytes.subarray(i + 1, end));
        frame.key = key;
        frame.state = 'colon';
        if (stack.length === 1) topKeys.push(key);
        else if (stack.length === 3 && stack[0]!.key === 'data' && stack[1]!.type === 'array') dataElementKeys.push(key);
        else if (stack.length === 2 && stack[0]!.type === 'array') arrayElementKeys.push(key);
      } else {
        if (!expectingValue()) return result(false);
        if (stack.length === 0) top = 'scalar';
        valueDone();
      }
      i = end + 1;
      continue;
    }
    // Numbers and literals run until a delimiter.
    let j = i;
    while (j < bytes.length && !WHITESPACE.has(bytes[j]!) && ![0x2c, 0x5d, 0x7d, 0x3a].includes(bytes[j]!)) j++;
    if (!expectingValue()) return result(false);
    const token = String.fromCharCode(...bytes.subarray(i, Math.min(j, i + 64)));
    const cutOff = j === bytes.length;
    const valid = NUMBER_BYTES.test(token) || ['true', 'false', 'null'].includes(token);
    const validPrefix = cutOff && (/^-?[\d.eE+-]*$/.test(token) || ['true', 'false', 'null'].some((l) => l.startsWith(token)));
    if (!valid && !validPrefix) return result(false);
    if (stack.length === 0) top = 'scalar';
    valueDone();
    i = j;
  }
  return result(true);
}

/** Index of the closing quote of a string whose content starts at `from`; `bytes.length` when cut off; -1 when a control byte shows it is not JSON. */
function stringEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x22) return i;
    if (b === 0x5c) i++;
    else if (b < 0x20) return -1;
  }
  return bytes.length;
}
