/**
 * Test-only builders for storage tests: `SpanBatch`es and `ServiceCall`s from terse objects.
 *
 * Payloads, resource bytes and scope bytes are arbitrary bytes here: the store treats them as
 * opaque, so these builders do not depend on the OTLP codec. Resource and scope ids are a 63-bit
 * FNV-1a hash of their bytes, so equal bytes give equal ids, as the real content id does.
 */
import type { CallerKind, KubernetesContext } from '../../model/service.js';
import type { PathEntry, ServiceCall } from '../../model/call.js';
import type { AnyValue, KeyValue } from '../../model/otlp.js';
import type { BatchResource, BatchScope, SpanBatch } from '../../model/span-batch.js';
import { hexToBytes } from '../../model/ids.js';

export interface ResourceSpec {
  readonly attributes: readonly KeyValue[];
  /** Defaults to a deterministic encoding of the attributes. */
  readonly bytes?: Uint8Array;
}

export interface ScopeSpec {
  readonly name: string;
  readonly version?: string;
  readonly bytes?: Uint8Array;
}

export interface SpanSpec {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId: string;
  /** 16 hex digits; '' or absent for a root span. */
  readonly parentSpanId?: string;
  readonly name?: string;
  readonly kind?: number;
  readonly startTimeUnixNano?: bigint;
  readonly endTimeUnixNano?: bigint;
  readonly statusCode?: number;
  readonly statusMessage?: string;
  /** Defaults to bytes derived from the span id and name. */
  readonly payload?: Uint8Array;
  readonly resource?: ResourceSpec;
  readonly scope?: ScopeSpec;
}

export const DEFAULT_RESOURCE: ResourceSpec = { attributes: [str('service.name', 'checkout')] };
export const DEFAULT_SCOPE: ScopeSpec = { name: '@opentelemetry/instrumentation-http', version: '0.200.0' };
export const BASE_TIME_UNIX_NANO = 1_700_000_000_000_000_000n;

/** A string attribute. */
export function str(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

export function attr(key: string, value: AnyValue): KeyValue {
  return { key, value };
}

/** A deterministic, valid trace id (32 hex digits) for test number `n` (n ≥ 1). */
export function traceIdHex(n: number, salt = 0): string {
  return (BigInt(salt) * 0x1_0000_0000n + BigInt(n)).toString(16).padStart(32, '0').replace(/^0/, 'a');
}

/** A deterministic, valid span id (16 hex digits) for test number `n` (n ≥ 1). */
export function spanIdHex(n: number): string {
  return BigInt(n).toString(16).padStart(16, '0');
}

/** Hex of a resource or scope id as the storage seam uses it. */
export function idHex(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

export function resourceOf(spec: ResourceSpec): BatchResource {
  const bytes = spec.bytes ?? new TextEncoder().encode(JSON.stringify(spec.attributes, jsonSafe));
  return { id: fnv63(bytes), bytes, attributes: spec.attributes };
}

export function scopeOf(spec: ScopeSpec): BatchScope {
  const version = spec.version ?? '';
  const bytes = spec.bytes ?? new TextEncoder().encode(`${spec.name}@${version}`);
  return { id: fnv63(bytes), bytes, name: spec.name, version };
}

/** The payload a span gets when its spec names none. */
export function defaultPayload(spec: Pick<SpanSpec, 'spanId' | 'name'>): Uint8Array {
  return new TextEncoder().encode(`span:${spec.spanId}:${spec.name ?? 'op'}`);
}

/** Builds a columnar batch; resources and scopes are de-duplicated by id, in first-seen order. */
export function spanBatch(specs: readonly SpanSpec[]): SpanBatch {
  const n = specs.length;
  const resources: BatchResource[] = [];
  const scopes: BatchScope[] = [];
  const resourceIndex = new Uint32Array(n);
  const scopeIndex = new Uint32Array(n);
  const traceIds = new Uint8Array(16 * n);
  const spanIds = new Uint8Array(8 * n);
  const parentSpanIds = new Uint8Array(8 * n);
  const kinds = new Uint8Array(n);
  const statusCodes = new Uint8Array(n);
  const startTimeUnixNano = new BigInt64Array(n);
  const endTimeUnixNano = new BigInt64Array(n);
  const names: string[] = [];
  const statusMessages: string[] = [];
  const payloads: Uint8Array[] = [];
  specs.forEach((spec, i) => {
    const resource = resourceOf(spec.resource ?? DEFAULT_RESOURCE);
    const scope = scopeOf(spec.scope ?? DEFAULT_SCOPE);
    resourceIndex[i] = indexById(resources, resource);
    scopeIndex[i] = indexById(scopes, scope);
    traceIds.set(mustHex(spec.traceId, 16), 16 * i);
    spanIds.set(mustHex(spec.spanId, 8), 8 * i);
    if (spec.parentSpanId) parentSpanIds.set(mustHex(spec.parentSpanId, 8), 8 * i);
    kinds[i] = spec.kind ?? 2;
    statusCodes[i] = spec.statusCode ?? 0;
    const start = spec.startTimeUnixNano ?? BASE_TIME_UNIX_NANO + BigInt(i) * 1_000_000n;
    startTimeUnixNano[i] = start;
    endTimeUnixNano[i] = spec.endTimeUnixNano ?? start + 5_000_000n;
    names.push(spec.name ?? 'op');
    statusMessages.push(spec.statusMessage ?? '');
    payloads.push(spec.payload ?? defaultPayload(spec));
  });
  return {
    length: n,
    resources,
    scopes,
    resourceIndex,
    scopeIndex,
    traceIds,
    spanIds,
    parentSpanIds,
    names,
    kinds,
    startTimeUnixNano,
    endTimeUnixNano,
    statusCodes,
    statusMessages,
    semantics: specs.map(() => undefined),
    payloads,
  };
}

const NO_K8S: KubernetesContext = { cluster: null, node: null, namespace: null, pod: null, workload: null };

/** A service call with plain defaults; `traceId` and `callId` are required. */
export function serviceCall(fields: Partial<ServiceCall> & Pick<ServiceCall, 'traceId' | 'callId'>): ServiceCall {
  return {
    synthetic: false,
    kind: 'service',
    service: 'checkout',
    request: 'GET /cart',
    resourceId: null,
    instance: null,
    k8s: NO_K8S,
    startTimeUnixNano: BASE_TIME_UNIX_NANO,
    durationNanos: 1_000_000n,
    failed: false,
    failureReason: null,
    stackTraces: [],
    path: [],
    referringPage: null,
    proxies: [],
    ...fields,
  };
}

export function pathEntry(kind: CallerKind, name: string, request: string, callId: string): PathEntry {
  return { kind, name, request, callId };
}

/** The path entry of a caller whose span never arrived. */
export const UNKNOWN_CALLER: PathEntry = { kind: 'unknown', name: 'unknown', request: '', callId: '' };

function indexById<T extends { readonly id: bigint }>(list: T[], item: T): number {
  const found = list.findIndex((x) => x.id === item.id);
  if (found >= 0) return found;
  list.push(item);
  return list.length - 1;
}

function mustHex(hex: string, byteLength: number): Uint8Array {
  const bytes = hexToBytes(hex, byteLength);
  if (!bytes) throw new Error(`fixture: ${JSON.stringify(hex)} is not ${byteLength} bytes of hex`);
  return bytes;
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return Array.from(value);
  return value;
}

/** FNV-1a over the bytes, 64-bit, top bit cleared (ids fit a signed int64, like the real content id). */
function fnv63(bytes: Uint8Array): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const b of bytes) hash = BigInt.asUintN(64, (hash ^ BigInt(b)) * 0x100000001b3n);
  return hash & 0x7fff_ffff_ffff_ffffn;
}
