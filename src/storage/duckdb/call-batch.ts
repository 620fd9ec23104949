/**
 * Derived calls as columns of numbers: the form a `replaceTraceCalls` write takes on its way to
 * DuckDB's `calls` table (`call-chunks.ts`).
 *
 * Why: the assembler derives calls on the main thread and the store writes them on its own thread
 * (`storage/worker`). Crossing as `ServiceCall` objects by structured clone cost ~20 ms to
 * serialize and 30–50 ms to read back per settle chunk of ~13,600 calls, and the worker then
 * spent ~50 ms more turning them into staging values. Those stretches run on the worker's event
 * loop, so every span append queued behind them: the OTLP acks waited (docs/benchmarks.md,
 * "Ingest: where the time goes"). A `CallBatch` is built where the calls are derived, crosses by
 * transferring its buffers (no copy), and the writer reads it column by column.
 *
 * Contract of `packTraceCalls`, the same as `replaceTraceCalls`'s checks before this form
 * existed: every entry is checked (ids, kinds, 64-bit times, a call's trace), and a bad one
 * throws a `StorageError` before anything is written; a trace named twice keeps its last entry,
 * and may have old rows when it was named before or is not a first derivation.
 *
 * Texts are 1-based codes into `dictionary` (0: NULL); each row's path is an index into `paths`
 * (canonical text and lists, `path-keys.ts`), and its call ids are `depth` values from
 * `pathCallIds`, starting where the previous row's ended.
 */
import { StorageError } from '../api/storage.js';
import type { TraceCalls } from '../api/storage.js';
import type { PathEntry, ServiceCall } from '../../model/call.js';
import type { CallerKind, ServiceKind } from '../../model/service.js';
import { SERVICE_KINDS } from '../../model/service.js';
import { parseTraceId } from './id-codec.js';
import { callPathLists, callPathText, type PathLists } from './path-keys.js';

/** The text columns of a call row, in the order `CallBatch.texts` holds them per row. */
export const TEXT_COLUMNS = [
  'kind',
  'service',
  'request',
  'instance',
  'k8s_cluster',
  'k8s_node',
  'k8s_namespace',
  'k8s_pod',
  'k8s_workload',
  'failure_reason',
  'referring_page',
] as const;
export const TEXT_COUNT = TEXT_COLUMNS.length;

/** Bits of `CallBatch.flags`. */
export const SYNTHETIC = 1;
export const FAILED = 2;
export const HAS_RESOURCE = 4;

export interface CallBatch {
  /** One per trace, in first-named order: its id, and the derivation the rows carry. */
  readonly traces: {
    readonly ids: readonly bigint[];
    readonly derivedSeqs: BigUint64Array;
    /** 1: the store may hold old rows of the trace (delete them first). */
    readonly mayHaveCalls: Uint8Array;
  };
  /** One per call row. */
  readonly rows: {
    readonly count: number;
    /** Index into `traces`. */
    readonly trace: Uint32Array;
    readonly callIds: BigUint64Array;
    readonly resourceIds: BigUint64Array;
    readonly flags: Uint8Array;
    readonly starts: BigInt64Array;
    readonly durations: BigInt64Array;
    /** `TEXT_COUNT` codes per row, in `TEXT_COLUMNS` order. */
    readonly texts: Uint32Array;
    /** Path length; also how many of `pathCallIds` the row owns. */
    readonly depth: Uint32Array;
    /** Index into `paths`. */
    readonly path: Uint32Array;
    /** Row i's stack trace codes are `stackCodes[stackEnds[i-1] .. stackEnds[i])`. */
    readonly stackEnds: Uint32Array;
    readonly stackCodes: Uint32Array;
    readonly proxyEnds: Uint32Array;
    readonly proxyCodes: Uint32Array;
  };
  /** Every row's path call ids, in row order; 0 with `pathCallIdNull` 1 for the `unknown` caller's ''. */
  readonly pathCallIds: BigUint64Array;
  readonly pathCallIdNull: Uint8Array;
  readonly dictionary: readonly string[];
  /** The distinct paths: canonical text (the `call_paths` key's name) and lists. */
  readonly paths: readonly { readonly text: string; readonly lists: PathLists }[];
}

/** The buffers to transfer with a batch posted to another thread (they are unusable here after). */
export function callBatchBuffers(batch: CallBatch): ArrayBuffer[] {
  const { traces, rows } = batch;
  const views: ArrayBufferView[] = [
    traces.derivedSeqs, traces.mayHaveCalls,
    rows.trace, rows.callIds, rows.resourceIds, rows.flags, rows.starts, rows.durations, rows.texts, rows.depth, rows.path,
    rows.stackEnds, rows.stackCodes, rows.proxyEnds, rows.proxyCodes,
    batch.pathCallIds, batch.pathCallIdNull,
  ];
  return [...new Set(views.map((v) => v.buffer as ArrayBuffer))];
}

const CALLER_KINDS: ReadonlySet<string> = new Set<CallerKind>([...SERVICE_KINDS, 'unknown']);
const SERVICE_KIND_SET: ReadonlySet<string> = new Set<ServiceKind>(SERVICE_KINDS);

/** Packs (and checks) a `replaceTraceCalls` argument; see the module's contract. */
export function packTraceCalls(entries: readonly TraceCalls[]): CallBatch {
  const steps = packTraceCallsStepwise(entries);
  for (let step = steps.next(); ; step = steps.next()) if (step.done === true) return step.value;
}

/**
 * Calls packed between two pauses of `packTraceCallsStepwise`: 1.4–4 ms of work, by how many
 * distinct paths they hold.
 */
export const CALLS_PER_STEP = 1_000;

/**
 * `packTraceCalls` in steps: pauses (yields) after every `CALLS_PER_STEP` calls it packs or
 * checks, and returns the batch. The worker proxy packs on the thread that answers OTLP requests,
 * and lets them through at each pause: a settle chunk of ~12,000 calls packed at once held that
 * thread for ~30 ms, a fifth of its time in such stretches (CPU profile of `bench:ingest`).
 */
export function* packTraceCallsStepwise(entries: readonly TraceCalls[]): Generator<void, CallBatch, void> {
  const last = new Map<string, number>();
  entries.forEach((entry, i) => last.set(entry.traceId, i));
  let rowCount = 0;
  let pathIdCount = 0;
  const traceIndex = new Map<string, number>();
  const traceIds: bigint[] = [];
  const traceSeqs: bigint[] = [];
  const traceMay: number[] = [];
  entries.forEach((entry, i) => {
    const traceId = parseTraceId(entry.traceId);
    if (entry.derivedSeq < 0n || entry.derivedSeq >= 1n << 64n) {
      throw new StorageError(`derivedSeq ${entry.derivedSeq} of trace ${entry.traceId} is not a sequence number`);
    }
    let t = traceIndex.get(entry.traceId);
    const repeated = t !== undefined;
    if (t === undefined) {
      t = traceIds.push(traceId) - 1;
      traceIndex.set(entry.traceId, t);
    }
    traceSeqs[t] = entry.derivedSeq;
    traceMay[t] = repeated || !entry.firstDerivation ? 1 : 0;
    if (last.get(entry.traceId) === i) {
      rowCount += entry.calls.length;
      for (const call of entry.calls) pathIdCount += call.path.length;
    }
  });

  // Every call is checked, the packed ones as they are packed (each id is read once): a bad one
  // rejects the whole write, even in an entry a later one replaces.
  const packer = new Packer(rowCount, pathIdCount);
  let sincePause = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const packed = last.get(entry.traceId) === i;
    const t = traceIndex.get(entry.traceId)!;
    for (const call of entry.calls) {
      if (packed) packer.add(t, entry.traceId, call);
      else checkCall(call, entry.traceId);
      if (++sincePause === CALLS_PER_STEP) {
        sincePause = 0;
        yield;
      }
    }
  }
  return {
    traces: { ids: traceIds, derivedSeqs: BigUint64Array.from(traceSeqs), mayHaveCalls: Uint8Array.from(traceMay) },
    ...packer.finish(),
  };
}

/** Checks what `Packer.add` checks, for a call that is not packed. */
function checkCall(call: ServiceCall, traceHex: string): void {
  checkFields(call, traceHex);
  setId64(SCRATCH, 0, call.callId, 'call id');
  if (call.resourceId !== null) setId64(SCRATCH, 0, call.resourceId, 'resource id');
  for (const entry of call.path) if (entry.callId !== '') setId64(SCRATCH, 0, entry.callId, 'path call id');
}

/** Everything about a call the table cannot hold, but its ids (`setId64` checks those as it reads them). */
function checkFields(call: ServiceCall, traceHex: string): void {
  if (call.traceId !== traceHex) throw new StorageError(`call ${call.callId} belongs to trace ${call.traceId}, not ${traceHex}`);
  if (!SERVICE_KIND_SET.has(call.kind)) throw new StorageError(`call ${call.callId} has unknown kind ${JSON.stringify(call.kind)}`);
  checkInt64(call.startTimeUnixNano, 'start time');
  checkInt64(call.durationNanos, 'duration');
  for (const entry of call.path) {
    if (!CALLER_KINDS.has(entry.kind)) throw new StorageError(`call ${call.callId} has a path entry of unknown kind ${JSON.stringify(entry.kind)}`);
  }
}

/** Digit values of '0'-'9' and 'a'-'f'; -1 for every other UTF-16 unit below 128. */
const HEX_DIGIT = Int8Array.from({ length: 128 }, (_, c) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1));

/** The 32-bit value of the 8 lower-case hex digits of `hex` at `at`; -1 if one is not a digit. */
function hexWord(hex: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 8; i++) {
    const digit = HEX_DIGIT[hex.charCodeAt(i)] ?? -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Which of the two 32-bit words viewing a 64-bit element holds its low and its high half. */
export const [LOW, HIGH] = LITTLE_ENDIAN ? [0, 1] : [1, 0];

/**
 * Writes the 16-digit lower-case hex id `hex` into element `index` of the `BigUint64Array` whose
 * buffer `words` views, as two 32-bit halves (~10× cheaper than `BigInt('0x' + hex)`); throws a
 * `StorageError` naming `what` if it is not one.
 */
function setId64(words: Uint32Array, index: number, hex: string, what: string): void {
  const high = hexWord(hex, 0);
  const low = hexWord(hex, 8);
  if (hex.length !== 16 || high < 0 || low < 0) throw new StorageError(`malformed ${what} ${JSON.stringify(hex)}: want 16 lower-case hex digits`);
  words[2 * index + HIGH] = high;
  words[2 * index + LOW] = low;
}

/** Where `checkCall` parses ids it does not keep. */
const SCRATCH = new Uint32Array(2);

function checkInt64(value: bigint, what: string): void {
  if (BigInt.asIntN(64, value) !== value) throw new StorageError(`${what} ${value} does not fit a signed 64-bit integer`);
}

/** Fills a batch's row columns; `add` checks each call as it packs it. */
class Packer {
  private readonly trace: Uint32Array;
  private readonly callIds: BigUint64Array;
  private readonly callIdWords: Uint32Array;
  private readonly resourceIds: BigUint64Array;
  private readonly resourceIdWords: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly starts: BigInt64Array;
  private readonly durations: BigInt64Array;
  private readonly texts: Uint32Array;
  private readonly depth: Uint32Array;
  private readonly path: Uint32Array;
  private readonly stackEnds: Uint32Array;
  private readonly proxyEnds: Uint32Array;
  private readonly stackCodes: number[] = [];
  private readonly proxyCodes: number[] = [];
  private readonly pathCallIds: BigUint64Array;
  private readonly pathCallIdWords: Uint32Array;
  private readonly pathCallIdNull: Uint8Array;
  private readonly codes = new Map<string, number>();
  private readonly dictionary: string[] = [];
  private readonly paths: { text: string; lists: PathLists }[] = [];
  private readonly pathByText = new Map<string, number>();
  /** Path prefixes by (parent prefix, entry); 0 is the empty path. */
  private readonly prefixes = new Map<string, number>();
  /** `prefixParent[n]`: the prefix that prefix `n` extends by one entry. */
  private readonly prefixParent: number[] = [0];
  /**
   * The prefix an entry object last ended. Calls of one caller share their path's entry objects
   * (analysis/derive/call-line.ts), so a path is mostly walked by object identity; the hit counts
   * only when the entry extends the same parent prefix, so any input stays exact.
   */
  private readonly prefixOfEntry = new Map<PathEntry, number>();
  private readonly pathOfPrefix = new Map<number, number>();
  /** The calls a call makes share one path array (analysis/derive/call-line.ts): its text is made once. */
  private readonly pathByArray = new Map<readonly PathEntry[], number>();
  private row = 0;
  private pathId = 0;

  constructor(rows: number, pathIds: number) {
    this.trace = new Uint32Array(rows);
    this.callIds = new BigUint64Array(rows);
    this.callIdWords = new Uint32Array(this.callIds.buffer);
    this.resourceIds = new BigUint64Array(rows);
    this.resourceIdWords = new Uint32Array(this.resourceIds.buffer);
    this.flags = new Uint8Array(rows);
    this.starts = new BigInt64Array(rows);
    this.durations = new BigInt64Array(rows);
    this.texts = new Uint32Array(rows * TEXT_COUNT);
    this.depth = new Uint32Array(rows);
    this.path = new Uint32Array(rows);
    this.stackEnds = new Uint32Array(rows);
    this.proxyEnds = new Uint32Array(rows);
    this.pathCallIds = new BigUint64Array(pathIds);
    this.pathCallIdWords = new Uint32Array(this.pathCallIds.buffer);
    this.pathCallIdNull = new Uint8Array(pathIds);
  }

  add(trace: number, traceHex: string, call: ServiceCall): void {
    checkFields(call, traceHex);
    const r = this.row++;
    this.trace[r] = trace;
    setId64(this.callIdWords, r, call.callId, 'call id');
    if (call.resourceId !== null) setId64(this.resourceIdWords, r, call.resourceId, 'resource id');
    this.flags[r] = (call.synthetic ? SYNTHETIC : 0) | (call.failed ? FAILED : 0) | (call.resourceId !== null ? HAS_RESOURCE : 0);
    this.starts[r] = call.startTimeUnixNano;
    this.durations[r] = call.durationNanos;
    const t = r * TEXT_COUNT;
    const { texts } = this;
    texts[t] = this.code(call.kind);
    texts[t + 1] = this.code(call.service);
    texts[t + 2] = this.code(call.request);
    texts[t + 3] = this.code(call.instance);
    texts[t + 4] = this.code(call.k8s.cluster);
    texts[t + 5] = this.code(call.k8s.node);
    texts[t + 6] = this.code(call.k8s.namespace);
    texts[t + 7] = this.code(call.k8s.pod);
    texts[t + 8] = this.code(call.k8s.workload);
    texts[t + 9] = this.code(call.failureReason);
    texts[t + 10] = this.code(call.referringPage);
    for (const text of call.stackTraces) this.stackCodes.push(this.code(text));
    this.stackEnds[r] = this.stackCodes.length;
    for (const text of call.proxies) this.proxyCodes.push(this.code(text));
    this.proxyEnds[r] = this.proxyCodes.length;
    this.depth[r] = call.path.length;
    this.path[r] = this.pathIndex(call.path);
    for (const entry of call.path) {
      const p = this.pathId++;
      if (entry.callId === '') this.pathCallIdNull[p] = 1;
      else setId64(this.pathCallIdWords, p, entry.callId, 'path call id');
    }
  }

  finish(): Omit<CallBatch, 'traces'> {
    return {
      rows: {
        count: this.row,
        trace: this.trace,
        callIds: this.callIds,
        resourceIds: this.resourceIds,
        flags: this.flags,
        starts: this.starts,
        durations: this.durations,
        texts: this.texts,
        depth: this.depth,
        path: this.path,
        stackEnds: this.stackEnds,
        stackCodes: Uint32Array.from(this.stackCodes),
        proxyEnds: this.proxyEnds,
        proxyCodes: Uint32Array.from(this.proxyCodes),
      },
      pathCallIds: this.pathCallIds,
      pathCallIdNull: this.pathCallIdNull,
      dictionary: this.dictionary,
      paths: this.paths,
    };
  }

  private code(text: string | null): number {
    if (text === null) return 0;
    let code = this.codes.get(text);
    if (code === undefined) {
      code = this.dictionary.push(text);
      this.codes.set(text, code);
    }
    return code;
  }

  /**
   * The index in `paths` of `path`. Paths are found through a tree of their prefixes, keyed by
   * the parent prefix's number and one entry, so a path costs a few short keys; its canonical text
   * (a JSON string of all its entries) is made only for a path the batch has not seen.
   */
  private pathIndex(path: readonly PathEntry[]): number {
    let index = this.pathByArray.get(path);
    if (index !== undefined) return index;
    let node = 0;
    for (const entry of path) {
      const known = this.prefixOfEntry.get(entry);
      if (known !== undefined && this.prefixParent[known] === node) {
        node = known;
        continue;
      }
      // The name's length ends the name, so no text of either can forge another's key.
      const key = `${node}|${entry.kind}|${entry.name.length}|${entry.name}${entry.request}`;
      let child = this.prefixes.get(key);
      if (child === undefined) {
        child = this.prefixParent.push(node) - 1;
        this.prefixes.set(key, child);
      }
      this.prefixOfEntry.set(entry, child);
      node = child;
    }
    index = this.pathOfPrefix.get(node);
    if (index === undefined) {
      const text = callPathText(path);
      // Texts that differ only in lone surrogates are one stored path (`callPathText`).
      index = this.pathByText.get(text);
      if (index === undefined) {
        index = this.paths.push({ text, lists: callPathLists(path) }) - 1;
        this.pathByText.set(text, index);
      }
      this.pathOfPrefix.set(node, index);
    }
    this.pathByArray.set(path, index);
    return index;
  }

}
