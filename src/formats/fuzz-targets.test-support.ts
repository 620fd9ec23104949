/**
 * Fuzz targets of the trace-file importers (the shape is in otlp/fuzz-target.test-support.ts).
 * The contracts checked:
 *
 * - `zipkinToOtlp` / `jaegerToOtlp`: never throw; `ok: false` (with a short message) only when
 *   the document as a whole is not of the format's shape; otherwise bad entries are skipped with
 *   (at most `MAX_WARNINGS` + 1, short) warnings, a skipped entry costs nothing else (the result
 *   is exactly that of the document without it), and the OTLP produced is valid: it encodes to a
 *   request the hot decoder accepts whole, with every time within uint64.
 * - `explainFormat`: never throws; any prefix of valid JSON is seen as JSON.
 * - `JsonValueSplitter`: never throws; the values and errors do not depend on how the bytes are
 *   chunked; error messages stay short.
 * - `readAll` / `readHead` / `readJsonValues`: a file's bytes come back exactly (gunzipped when
 *   gzip); a corrupt gzip file rejects with an `Error`, never crashes or hangs.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { OtlpTraceRequest } from '../model/otlp.js';
import { decodeTraceRequest } from '../otlp/decode-request.js';
import { encodeTraceRequest } from '../otlp/encode.js';
import { type FuzzScale, type FuzzTarget, ensure, ensureShortMessage, mustNotThrow, target } from '../otlp/fuzz-target.test-support.js';
import { realOtlpJsonDocuments } from '../otlp/fuzz-targets.test-support.js';
import { type JsonMutation, jsonMutation, mutateJson } from '../otlp/json-mutations.test-support.js';
import { type ByteMutation, byteMutation, mutateBytes } from '../otlp/proto-mutations.test-support.js';
import { explainFormat, type TraceFileFormat } from './detect.js';
import { type ImportResult, MAX_WARNINGS } from './import-result.js';
import { jaegerToOtlp } from './jaeger.js';
import { JsonValueSplitter, type JsonValueResult } from './json-splitter.js';
import { probeJson } from './json-probe.js';
import { readAll, readHead, readJsonValues } from './read-file.js';
import { zipkinToOtlp } from './zipkin.js';

const TESTDATA = new URL('../../../shared/testdata/', import.meta.url);
const ZIPKIN_FILES = ['ascend.json', 'envoy.json', 'messaging-kafka.json', 'messaging.json', 'messaging2.json', 'simple-db-p6.json', 'skew.json', 'yelp.json'];

let corpora: { zipkin: unknown[]; jaeger: unknown[]; otlp: unknown[] } | undefined;

function corpus(): { zipkin: unknown[]; jaeger: unknown[]; otlp: unknown[] } {
  if (corpora !== undefined) return corpora;
  const zipkin = ZIPKIN_FILES.map((f) => JSON.parse(readFileSync(new URL(`zipkin-lens-testdata/${f}`, TESTDATA), 'utf8')) as unknown);
  const download = JSON.parse(readFileSync(new URL('./testdata/jaeger-ui-download.json', import.meta.url), 'utf8')) as { data: unknown[] };
  // The three shapes jaegerToOtlp reads: the download, its data array alone, one bare trace.
  const jaeger = [download, download.data, download.data[0]];
  corpora = { zipkin, jaeger, otlp: realOtlpJsonDocuments() };
  return corpora;
}

const UINT64_MAX = (1n << 64n) - 1n;

function spanCount(request: OtlpTraceRequest): number {
  return request.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
}

/** What every importer result must satisfy; `shapeOk` says whether the document has the format's top-level shape. */
function checkImport(result: ImportResult, shapeOk: boolean, format: string): void {
  if (!result.ok) {
    ensure(!shapeOk, () => `${format}: refused a document of the right shape: ${result.error}`);
    ensureShortMessage(result.error, `${format} refusal`);
    return;
  }
  ensure(shapeOk, `${format}: accepted a document of the wrong shape`);
  ensure(result.warnings.length <= MAX_WARNINGS + 1, `${format}: ${result.warnings.length} warnings`);
  for (const w of result.warnings) ensureShortMessage(w, `${format} warning`);
  const { request } = result;
  for (const rs of request.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const times = [span.startTimeUnixNano, span.endTimeUnixNano, ...span.events.map((e) => e.timeUnixNano)];
        ensure(times.every((t) => t >= 0n && t <= UINT64_MAX), () => `${format}: span ${Buffer.from(span.spanId).toString('hex')} has a time outside uint64: ${times.join(', ')}`);
        ensure(span.endTimeUnixNano >= span.startTimeUnixNano, `${format}: span ends before it starts`);
      }
    }
  }
  const bytes = mustNotThrow(`encodeTraceRequest(${format} result)`, () => encodeTraceRequest(request));
  const decoded = mustNotThrow('decodeTraceRequest', () => decodeTraceRequest(bytes));
  ensure(decoded.ok, () => `${format}: the OTLP produced does not decode: ${decoded.ok ? '' : decoded.error}`);
  ensure(decoded.rejected.length === 0, () => `${format}: the OTLP produced has spans with invalid ids: ${JSON.stringify(decoded.ok ? decoded.rejected : [])}`);
  ensure(decoded.spanCount === spanCount(request), `${format}: span count changed through encoding`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkZipkinText(text: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return; // `tributary import` reports invalid JSON before the importer runs
  }
  checkImport(mustNotThrow('zipkinToOtlp', () => zipkinToOtlp(doc)), Array.isArray(doc), 'zipkin');
}

function checkJaegerText(text: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return;
  }
  const shapeOk = Array.isArray(doc) || (isRecord(doc) && (Array.isArray(doc['data']) || Array.isArray(doc['spans'])));
  checkImport(mustNotThrow('jaegerToOtlp', () => jaegerToOtlp(doc)), shapeOk, 'jaeger');
}

type Mutated = { index: number; mutations: readonly JsonMutation[] };
const mutatedInput = (scale: FuzzScale): fc.Arbitrary<Mutated> => fc.record({ index: fc.nat(), mutations: fc.array(jsonMutation(scale), { minLength: 1, maxLength: 4 }) });

const zipkinMutated = (scale: FuzzScale): FuzzTarget<Mutated> => ({
  name: 'zipkin-mutated',
  input: mutatedInput(scale),
  check: ({ index, mutations }) => {
    const docs = corpus().zipkin;
    checkZipkinText(mutateJson(docs[index % docs.length], mutations));
  },
  shortRuns: 300,
});

const jaegerMutated = (scale: FuzzScale): FuzzTarget<Mutated> => ({
  name: 'jaeger-mutated',
  input: mutatedInput(scale),
  check: ({ index, mutations }) => {
    const docs = corpus().jaeger;
    checkJaegerText(mutateJson(docs[index % docs.length], mutations));
  },
  shortRuns: 300,
});

/** Entries that every importer must skip: not objects, or objects without a usable id. */
const junkEntry: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, 0, 1.5, true, '', 'span', {}, { id: '1' }, { traceId: 'zz', id: '1' }, { traceID: '', spanID: '1', startTime: 1 }, { traceId: '0', id: '0' }),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.record({ traceId: fc.constantFrom(undefined, 7, 'not hex', '0'.repeat(32)), id: fc.constantFrom('1', 'x', 12) }),
);

function encodedRequest(result: ImportResult): Uint8Array | string {
  return result.ok ? encodeTraceRequest(result.request) : result.error;
}

function sameResult(a: ImportResult, b: ImportResult): boolean {
  const x = encodedRequest(a);
  const y = encodedRequest(b);
  return typeof x === 'string' || typeof y === 'string' ? x === y : Buffer.from(x).equals(Buffer.from(y));
}

const zipkinJunkEntry: FuzzTarget<{ index: number; at: number; junk: unknown }> = {
  name: 'zipkin-junk-entry',
  input: fc.record({ index: fc.nat(), at: fc.nat(), junk: junkEntry }),
  check: ({ index, at, junk }) => {
    const docs = corpus().zipkin;
    const doc = docs[index % docs.length] as unknown[];
    const k = at % doc.length;
    const withJunk = doc.map((e, i) => (i === k ? junk : e));
    const without = doc.filter((_e, i) => i !== k);
    ensure(sameResult(mustNotThrow('zipkinToOtlp', () => zipkinToOtlp(withJunk)), zipkinToOtlp(without)), `zipkin: a skipped entry #${k} changed the other spans`);
  },
  shortRuns: 100,
};

const jaegerJunkSpan: FuzzTarget<{ at: number; junk: unknown }> = {
  name: 'jaeger-junk-span',
  input: fc.record({ at: fc.nat(), junk: junkEntry }),
  check: ({ at, junk }) => {
    const doc = corpus().jaeger[0] as { data: { spans: unknown[] }[] };
    const spans = doc.data.flatMap((t, ti) => t.spans.map((_s, si) => [ti, si] as const));
    const [ti, si] = spans[at % spans.length]!;
    const edit = (replace: boolean): unknown => ({
      ...doc,
      data: doc.data.map((t, i) => (i !== ti ? t : { ...t, spans: replace ? t.spans.map((s, j) => (j === si ? junk : s)) : t.spans.filter((_s, j) => j !== si) })),
    });
    ensure(sameResult(mustNotThrow('jaegerToOtlp', () => jaegerToOtlp(edit(true))), jaegerToOtlp(edit(false))), `jaeger: a skipped span changed the other spans`);
  },
  shortRuns: 150,
};

const FILE_NAMES = ['trace.json', 'trace.jsonl', 'trace.ndjson', 'trace.pb', 'trace.bin', 'trace', 'trace.json.gz', 'TRACE.PB', 'spans.txt'];
const FORMATS: ReadonlySet<TraceFileFormat> = new Set(['otlp-json', 'otlp-proto', 'zipkin', 'jaeger']);

function checkDetect(bytes: Uint8Array, name: string): TraceFileFormat {
  const detection = mustNotThrow('explainFormat', () => explainFormat(bytes, name));
  ensure(FORMATS.has(detection.format) && detection.reason.length > 0, `explainFormat returned ${JSON.stringify(detection)}`);
  return detection.format;
}

/** Random bytes, and prefixes of (mutated) corpus documents under assorted file names. */
const detectTarget = (scale: FuzzScale): FuzzTarget<{ source: number; index: number; mutations: readonly JsonMutation[]; cut: number; name: number; random: Uint8Array; pretty: boolean }> => ({
  name: 'detect',
  input: fc.record({
    source: fc.nat(3),
    index: fc.nat(),
    mutations: fc.array(jsonMutation(scale), { maxLength: 3 }),
    cut: fc.nat(),
    name: fc.nat(),
    random: fc.uint8Array({ maxLength: 200 }),
    pretty: fc.boolean(),
  }),
  check: ({ source, index, mutations, cut, name, random, pretty }) => {
    const fileName = FILE_NAMES[name % FILE_NAMES.length]!;
    if (source === 3) {
      checkDetect(random, fileName);
      return;
    }
    const docs = [corpus().zipkin, corpus().jaeger, corpus().otlp][source]!;
    const doc = docs[index % docs.length];
    let text = mutateJson(doc, mutations);
    if (pretty) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // too deep to pretty-print: keep it compact
      }
    }
    const bytes = Buffer.from(text, 'utf8');
    const prefix = bytes.subarray(0, cut % (bytes.length + 1));
    checkDetect(prefix, fileName);
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    if (valid) ensure(probeJson(prefix).json, () => `a prefix of valid JSON was seen as not JSON: ${prefix.subarray(-60).toString()}`);
    if (valid && mutations.length === 0 && prefix.length === bytes.length) {
      const expected: TraceFileFormat = (['zipkin', 'jaeger', 'otlp-json'] as const)[source]!;
      ensure(checkDetect(bytes, 'trace.json') === expected, `an unmutated ${expected} document was not detected as such`);
    }
  },
  shortRuns: 300,
});

/** Same JSON values, compared without recursion (values may be nested 100k deep). */
function sameJson(a: unknown, b: unknown): boolean {
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.hasOwn(y, k)) return false;
      stack.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
    }
  }
  return true;
}

function split(bytes: Uint8Array, cuts: readonly number[]): JsonValueResult[] {
  const splitter = new JsonValueSplitter();
  const out: JsonValueResult[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y)) {
    // Fresh copies: the splitter keeps views of chunks until a value completes, as readChunks allows.
    out.push(...splitter.push(bytes.slice(from, cut)));
    from = cut;
  }
  out.push(...splitter.push(bytes.slice(from)), ...splitter.end());
  return out;
}

const splitterTarget = (scale: FuzzScale): FuzzTarget<{ docs: readonly number[]; pretty: boolean; mutations: readonly JsonMutation[]; corruption: readonly ByteMutation[]; cuts: readonly number[]; bom: boolean }> => ({
  name: 'json-splitter',
  input: fc.record({
    docs: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
    pretty: fc.boolean(),
    mutations: fc.array(jsonMutation(scale), { maxLength: 2 }),
    corruption: fc.array(byteMutation, { maxLength: 2 }),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
    bom: fc.boolean(),
  }),
  check: ({ docs, pretty, mutations, corruption, cuts, bom }) => {
    const all = [...corpus().otlp, ...corpus().jaeger];
    const texts = docs.map((d, i) => {
      const text = mutateJson(all[d % all.length], i === 0 ? mutations : []);
      if (!pretty) return text;
      try {
        return JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        return text;
      }
    });
    const bytes = mutateBytes(Buffer.from(`${bom ? '\ufeff' : ''}${texts.join('\n')}\n`, 'utf8'), corruption);
    const whole = mustNotThrow('JsonValueSplitter', () => split(bytes, []));
    const chunked = mustNotThrow('JsonValueSplitter', () => split(bytes, cuts));
    ensure(whole.length === chunked.length, `${whole.length} results in one chunk, ${chunked.length} in chunks cut at ${cuts.join(', ')}`);
    whole.forEach((w, i) => {
      const c = chunked[i]!;
      ensure(w.ok === c.ok && w.line === c.line && w.offsetBytes === c.offsetBytes, () => `result ${i} differs with chunks cut at ${cuts.join(', ')}: ${w.ok ? 'ok' : w.error} vs ${c.ok ? 'ok' : c.error}`);
      if (w.ok && c.ok) ensure(sameJson(w.value, c.value), `value ${i} differs with chunks cut at ${cuts.join(', ')}`);
      if (!w.ok) ensureShortMessage(w.error, 'splitter error');
    });
    if (corruption.length === 0 && mutations.length === 0) ensure(whole.length === docs.length && whole.every((r) => r.ok), 'valid documents did not all parse');
  },
  shortRuns: 150,
});

/** A file of this process's own in the temp directory; each check removes it when done. */
function scratchFile(extension: string): string {
  return path.join(tmpdir(), `tributary-fuzz-${process.pid}${extension}`);
}

const readFileTarget: FuzzTarget<{ index: number; gzip: boolean; corruption: readonly ByteMutation[] }> = {
  name: 'read-file',
  input: fc.record({ index: fc.nat(), gzip: fc.boolean(), corruption: fc.array(byteMutation, { maxLength: 2 }) }),
  check: async ({ index, gzip, corruption }) => {
    const docs = [...corpus().zipkin, ...corpus().otlp];
    const content = Buffer.from(JSON.stringify(docs[index % docs.length]), 'utf8');
    const stored = mutateBytes(gzip ? gzipSync(content) : content, corruption);
    const file = scratchFile(gzip ? '.json.gz' : '.json');
    writeFileSync(file, stored);
    try {
      await checkRead(file, content, stored, gzip, corruption.length > 0);
    } finally {
      rmSync(file, { force: true });
    }
  },
  shortRuns: 60,
};

async function checkRead(file: string, content: Uint8Array, stored: Uint8Array, gzip: boolean, corrupted: boolean): Promise<void> {
  // What the reads of a file promise; `stored` is the file, `content` what was gzipped or written.
  const reads = async (): Promise<{ all: Uint8Array; head: Uint8Array; values: JsonValueResult[] }> => {
    const values: JsonValueResult[] = [];
    for await (const v of readJsonValues(file, { chunkBytes: 4096 })) values.push(v);
    return { all: await readAll(file, { chunkBytes: 4096 }), head: await readHead(file, 1000), values };
  };
  let result: Awaited<ReturnType<typeof reads>>;
  try {
    result = await reads();
  } catch (error: unknown) {
    ensure(error instanceof Error, `rejected with a non-Error: ${String(error)}`);
    ensure(gzip && stored[0] === 0x1f && stored[1] === 0x8b, `reading rejected although the file is not gzip: ${error.message}`);
    ensureShortMessage(error.message, 'read error');
    return;
  }
  // gzip stores a CRC: content that gunzips without error is the content.
  const expected = gzip && stored[0] === 0x1f && stored[1] === 0x8b ? undefined : stored;
  if (expected !== undefined) ensure(Buffer.from(result.all).equals(Buffer.from(expected)), 'readAll did not return the file as stored');
  if (!corrupted) ensure(Buffer.from(result.all).equals(content), 'readAll did not return the content');
  ensure(Buffer.from(result.head).equals(Buffer.from(result.all.subarray(0, 1000))), 'readHead is not the start of readAll');
  for (const v of result.values) if (!v.ok) ensureShortMessage(v.error, 'readJsonValues error');
}

/** The importers' fuzz targets, with inputs sized for `scale`. */
export function formatFuzzTargets(scale: FuzzScale): FuzzTarget[] {
  return [
    target(zipkinMutated(scale)),
    target(zipkinJunkEntry),
    target(jaegerMutated(scale)),
    target(jaegerJunkSpan),
    target(detectTarget(scale)),
    target(splitterTarget(scale)),
    target(readFileTarget),
  ];
}

