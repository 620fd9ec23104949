/**
 * The per-test store lifecycle of the conformance suite, and the expected-value helpers the cases
 * share (an obviously-correct model of what `getTrace` must return).
 */
import { afterEach, beforeEach } from 'vitest';
import type { StoredSpan, Storage } from '../api/storage.js';
import { DEFAULT_RESOURCE, DEFAULT_SCOPE, defaultPayload, idHex, resourceOf, scopeOf, BASE_TIME_UNIX_NANO } from './fixtures.js';
import type { SpanSpec } from './fixtures.js';

/** What a backend's test hands the suite: a fresh, empty store, and how to reopen it. */
export interface OpenedStore {
  readonly storage: Storage;
  /** Opens the same data again after the current storage was closed; absent when the backend keeps nothing. */
  readonly reopen?: () => Promise<Storage>;
  cleanup(): Promise<void>;
}

export type OpenStore = () => Promise<OpenedStore>;

/** The store of the running test. */
export interface StoreHandle {
  /** The currently open storage. */
  readonly storage: Storage;
  readonly canReopen: boolean;
  /** Closes the current storage and opens the same data again; throws when the backend cannot. */
  reopen(): Promise<Storage>;
}

/** Registers before/after hooks that give every test a fresh store; returns a handle to it. */
export function useFreshStore(open: OpenStore): StoreHandle {
  let opened: OpenedStore | undefined;
  let current: Storage | undefined;
  const everyStorage: Storage[] = [];

  beforeEach(async () => {
    opened = await open();
    current = opened.storage;
    everyStorage.push(current);
  });

  afterEach(async () => {
    // Close everything this test opened even if the test failed midway, then drop the data.
    for (const storage of everyStorage.splice(0)) await storage.close().catch(() => undefined);
    await opened?.cleanup();
    opened = undefined;
    current = undefined;
  });

  return {
    get storage(): Storage {
      if (!current) throw new Error('conformance: no store is open outside a test');
      return current;
    },
    get canReopen(): boolean {
      return opened?.reopen !== undefined;
    },
    async reopen(): Promise<Storage> {
      const reopen = opened?.reopen;
      if (!reopen || !current) throw new Error('conformance: this backend cannot reopen');
      await current.close();
      current = await reopen();
      everyStorage.push(current);
      return current;
    },
  };
}

export const NOT_PERSISTENT = 'the backend keeps nothing across a reopen (no `reopen` given)';

/** The stored form of a span spec appended with `seq`, as `getTrace` must return it. */
export function expectedSpan(spec: SpanSpec, seq: bigint, index = 0): StoredSpan {
  const start = spec.startTimeUnixNano ?? BASE_TIME_UNIX_NANO + BigInt(index) * 1_000_000n;
  return {
    traceId: spec.traceId,
    spanId: spec.spanId,
    parentSpanId: spec.parentSpanId ?? '',
    resourceId: idHex(resourceOf(spec.resource ?? DEFAULT_RESOURCE).id),
    scopeId: idHex(scopeOf(spec.scope ?? DEFAULT_SCOPE).id),
    name: spec.name ?? 'op',
    kind: spec.kind ?? 2,
    startTimeUnixNano: start,
    endTimeUnixNano: spec.endTimeUnixNano ?? start + 5_000_000n,
    statusCode: spec.statusCode ?? 0,
    statusMessage: spec.statusMessage ?? '',
    payload: spec.payload ?? defaultPayload(spec),
    seq,
  };
}

/**
 * The model of `getTrace(traceId).spans`: the trace's spans in append order, exact duplicates
 * (same span id and payload) collapsed onto the first stored, ordered by start time then span id.
 */
export function expectedTrace(appended: readonly StoredSpan[], traceId: string): StoredSpan[] {
  const kept: StoredSpan[] = [];
  for (const span of appended) {
    if (span.traceId !== traceId) continue;
    if (kept.some((k) => k.spanId === span.spanId && sameBytes(k.payload, span.payload))) continue;
    kept.push(span);
  }
  return kept.sort(
    (a, b) =>
      compare(a.startTimeUnixNano, b.startTimeUnixNano) || compare(a.spanId, b.spanId) || compare(a.seq, b.seq),
  );
}

/** A span with its payload as hex: compares fast even for megabyte payloads, and diffs readably. */
export type PlainSpan = Omit<StoredSpan, 'payload'> & { readonly payload: string };

/** Spans with payloads as hex, so equality ignores the backend's byte container (Buffer or Uint8Array). */
export function plain(spans: readonly StoredSpan[]): PlainSpan[] {
  return spans.map((s) => ({ ...s, payload: Buffer.from(s.payload.buffer, s.payload.byteOffset, s.payload.byteLength).toString('hex') }));
}

export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compare<T extends bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Deterministic pseudo-random bytes (xorshift), so payload tests need no fixtures on disk. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Strings that break naive SQL building, JSON handling or text encodings (no NUL). */
export const HOSTILE_STRINGS: readonly string[] = [
  "'; DROP TABLE spans; --",
  "Robert'); DROP TABLE calls;--",
  '"double" and \'single\' quotes',
  'back\\slash \\x00 \\u0000',
  '$1 ? :name %s %d ${x}',
  'tabs\tnew\nlines\rcarriage',
  '🚀 naïve Ωmega 日本語 עברית \u200b\u202e',
  '\uD83D\uDE00 surrogate pair',
  '',
  ' ',
  'x'.repeat(100_000),
];
