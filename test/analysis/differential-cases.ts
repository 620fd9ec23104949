/**
 * What the differential test runs: a generated topology fed both to the real ingest path (OTLP
 * protobuf → decoder → store → assembler) and to the oracle, and the queries drawn from it —
 * focal services of every kind, request names, chains cut from real lines of the traces (above,
 * below and around the focal call) plus chains that match nothing, several windows, zones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DerivationOptions } from '../../src/analysis/derive-calls.js';
import { linesThrough, type CallNode } from '../../src/analysis/oracle/call-tree.js';
import { Oracle } from '../../src/analysis/oracle/oracle.js';
import { SeededRandom } from '../../src/analysis/testing/seeded-random.js';
import { generateTopology, type GeneratedTopology } from '../../src/analysis/testing/topology.js';
import { Metrics } from '../../src/app/metrics.js';
import { Assembler } from '../../src/ingest/assembler.js';
import { ServiceInfoCache, skeletonsOfBatch, traceIdOf } from '../../src/ingest/skeletons.js';
import type { ServiceKind } from '../../src/model/service.js';
import type { SpanSkeleton } from '../../src/model/skeleton.js';
import type { SpanBatch } from '../../src/model/span-batch.js';
import { decodeTraceRequest } from '../../src/otlp/decode-request.js';
import { encodeTraceRequest } from '../../src/otlp/encode.js';
import type { ChainStep, FocalFilter, ServiceRef, TimeRange, ZoneFilter } from '../../src/storage/api/call-queries.js';
import type { Storage } from '../../src/storage/api/storage.js';
import { openDuckDbStorage } from '../../src/storage/duckdb/duckdb-storage.js';
import { openMemoryStorage } from '../../src/storage/memory/memory-storage.js';
import { clickHouseSkipReason, openClickHouseTestStore } from './clickhouse-store.js';

export interface Topology {
  readonly generated: GeneratedTopology;
  readonly derivation: DerivationOptions;
  /** The decoded requests, in the order the store receives them (a resent request twice). */
  readonly batches: readonly SpanBatch[];
  readonly oracle: Oracle;
}

/** Generates a seed's traces and builds the oracle from the skeletons of the decoded requests. */
export function topologyOf(seed: number): Topology {
  return topologyFrom(generateTopology({ seed }));
}

/**
 * Decodes the requests of `generated` and builds the oracle from their skeletons. The requests at
 * `resend` reach the store twice (an exporter retrying after a lost ack) but the oracle once: the
 * store must collapse those exact duplicates wherever it counts spans.
 */
export function topologyFrom(generated: GeneratedTopology, resend: readonly number[] = []): Topology {
  const derivation: DerivationOptions = { failureRules: generated.failureRules };
  const services = new ServiceInfoCache({ proxyServices: generated.proxyServices });
  const batches: SpanBatch[] = [];
  const spansByTrace = new Map<string, SpanSkeleton[]>();
  generated.requests.forEach((request, index) => {
    const decoded = decodeTraceRequest(encodeTraceRequest(request));
    if (!decoded.ok) throw new Error(`seed ${generated.seed}: generated request does not decode: ${decoded.error}`);
    if (decoded.rejected.length > 0) throw new Error(`seed ${generated.seed}: spans rejected: ${JSON.stringify(decoded.rejected)}`);
    batches.push(decoded.batch);
    if (resend.includes(index)) batches.push(decoded.batch);
    const skeletons = skeletonsOfBatch(decoded.batch, services);
    for (let i = 0; i < decoded.batch.length; i++) {
      const traceId = traceIdOf(decoded.batch, i);
      const spans = spansByTrace.get(traceId) ?? [];
      spans.push(skeletons[i]!);
      spansByTrace.set(traceId, spans);
    }
  });
  const oracle = new Oracle([...spansByTrace].map(([traceId, spans]) => ({ traceId, spans })), derivation);
  return { generated, derivation, batches, oracle };
}

export interface IngestedStore {
  readonly storage: Storage;
  /** What the assembler logged (nothing, when all went well). */
  readonly logs: readonly string[];
  close(): Promise<void>;
}

/** The backends whose fast path (`CallAnalytics`) the differential test compares with the oracle. */
export const BACKENDS = ['duckdb', 'memory', 'clickhouse'] as const;
export type Backend = (typeof BACKENDS)[number];

/** Why `backend` cannot run on this machine (its cases are skipped, the reason in their title), or undefined. */
export function skipReason(backend: Backend): string | undefined {
  return backend === 'clickhouse' ? clickHouseSkipReason() : undefined;
}

/**
 * Per-test and per-hook time limit for `backend`: a ClickHouse statement costs tens of
 * milliseconds of server overhead (18.16), and these files run thousands of them.
 */
export function timeLimitFor(backend: Backend): number | undefined {
  return backend === 'clickhouse' ? 900_000 : undefined;
}

/** The title of a backend's describe block, with the reason when it is skipped. */
export function backendTitle(backend: Backend, title: string): string {
  const reason = skipReason(backend);
  return reason === undefined ? title : `${title} (skipped: ${reason})`;
}

/** Ingests the topology's batches into a fresh store the way the server does: append, then the assembler. */
export async function ingest(topology: Topology, backend: Backend = 'duckdb'): Promise<IngestedStore> {
  const store = await openStore(backend);
  await feed(store, topology);
  return store;
}

/** A fresh, empty store of `backend`. */
export async function openStore(backend: Backend): Promise<IngestedStore & { readonly logs: string[] }> {
  if (backend === 'clickhouse') {
    const storage = await openClickHouseTestStore();
    return { storage, logs: [], close: () => storage.close() };
  }
  const dataDir = backend === 'duckdb' ? await mkdtemp(path.join(tmpdir(), 'tributary-differential-')) : undefined;
  const storage = dataDir !== undefined ? await openDuckDbStorage({ dataDir, memoryLimit: '512MB', threads: 1 }) : openMemoryStorage();
  return {
    storage,
    logs: [],
    close: async () => {
      await storage.close();
      if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Appends the topology's batches to `store` and lets an assembler derive and write the calls. */
export async function feed(store: IngestedStore & { readonly logs: string[] }, topology: Topology): Promise<void> {
  const assembler = new Assembler({
    storage: store.storage,
    services: new ServiceInfoCache({ proxyServices: topology.generated.proxyServices }),
    derivation: topology.derivation,
    metrics: new Metrics(),
    settleMs: 0,
    maxLiveSpans: 10_000_000,
    maxSpansPerTrace: 1_000_000,
    log: (message) => store.logs.push(message),
  });
  for (const batch of topology.batches) assembler.add(batch, (await store.storage.appendSpans(batch)).seq);
  await assembler.flush();
}

export interface Cases {
  readonly windows: readonly TimeRange[];
  /** Focal filters: per focal service, plain, by request, with a real chain, with a chain that matches nothing. */
  readonly filters: readonly FocalFilter[];
  readonly zones: readonly ZoneFilter[];
  /** Service names to ask `serviceKinds` about (every name seen, and one nobody has). */
  readonly names: readonly string[];
}

const NANOS_PER_MS = 1_000_000n;

/** Draws the queries of one seed, deterministically. */
export function casesOf(topology: Topology, seed: number): Cases {
  const random = new SeededRandom(seed * 7_919 + 13);
  const { window } = topology.generated;
  const length = window.toUnixNano - window.fromUnixNano;
  const narrowStart = window.fromUnixNano - 2_000n * NANOS_PER_MS;
  const windows: TimeRange[] = [
    window,
    { fromUnixNano: window.fromUnixNano - length, toUnixNano: window.toUnixNano + 2n * length },
    { fromUnixNano: narrowStart, toUnixNano: narrowStart + 5_000n * NANOS_PER_MS },
  ];
  const wide = windows[1]!;

  const nodes = topology.oracle.traces.flatMap((t) => t.calls);
  const byService = new Map<string, { ref: ServiceRef; nodes: CallNode[] }>();
  for (const node of nodes) {
    const key = `${node.call.kind}/${node.call.service}`;
    const entry = byService.get(key) ?? { ref: { kind: node.call.kind, name: node.call.service }, nodes: [] };
    entry.nodes.push(node);
    byService.set(key, entry);
  }
  const groups = [...byService.values()];
  const ofKinds = (kinds: readonly ServiceKind[]) => groups.filter((g) => kinds.includes(g.ref.kind));
  const picked = [
    ...random.sample(ofKinds(['service']), 2),
    ...random.sample(ofKinds(['database', 'messaging', 'external']), 1),
    ...random.sample(ofKinds(['application']), 1),
  ];

  const filters: FocalFilter[] = [];
  for (const { ref, nodes: calls } of picked) {
    const base = (): FocalFilter => ({ ...random.pick(windows), service: ref });
    filters.push(base());
    filters.push({ ...base(), request: random.pick(calls).call.request });
    filters.push({ ...wide, service: ref, chain: chainThrough(random, random.pick(calls)) });
    const second = random.pick(calls);
    filters.push({ ...base(), ...(random.chance(0.5) ? { request: second.call.request } : {}), chain: chainThrough(random, second) });
    filters.push({ ...base(), chain: random.chance(0.5) ? [{ name: 'no-such-service' }] : reversed(chainThrough(random, random.pick(calls))) });
  }

  const resources = new Map<string, Readonly<Record<string, string>>>();
  for (const trace of topology.oracle.traces) for (const span of trace.spans) resources.set(span.resourceId, span.service.attributes);
  const namespaces = [...new Set([...resources.values()].map((a) => a['k8s.namespace.name']).filter((n): n is string => n !== undefined))];
  const zones: ZoneFilter[] = [
    { resourceIds: [...resources].filter(([, a]) => a['k8s.namespace.name'] === (namespaces[0] ?? '')).map(([id]) => id) },
    { resourceIds: random.sample([...resources.keys()], Math.ceil(resources.size / 3)) },
  ];

  return { windows, filters, zones, names: [...new Set(nodes.map((n) => n.call.service)), 'no-such-service'] };
}

/**
 * A chain cut from a real root-to-leaf line through `node`: 1–3 steps above it, below it, or
 * around it, each step sometimes naming its kind or request. The `unknown` caller, when the cut
 * includes it, is a name-only step (a chain step cannot name the kind `unknown`).
 */
export function chainThrough(random: SeededRandom, node: CallNode): ChainStep[] {
  const line = random.pick(linesThrough(node));
  const at = line.findIndex((step) => step.node === node);
  const size = random.int(1, 3);
  const shape = random.pick(['above', 'below', 'around'] as const);
  let start = shape === 'above' ? at - size : shape === 'below' ? at + 1 : at - random.int(0, size - 1);
  start = Math.max(0, Math.min(start, line.length - size));
  return line.slice(start, start + size).map((step) => ({
    name: step.name,
    ...(step.kind !== 'unknown' && random.chance(0.4) ? { kind: step.kind } : {}),
    ...(step.kind !== 'unknown' && random.chance(0.3) ? { request: step.request } : {}),
  }));
}

function reversed(chain: readonly ChainStep[]): ChainStep[] {
  return chain.length > 1 ? [...chain].reverse() : [...chain, ...chain];
}
