import path from 'node:path';
import { Metrics } from '../app/metrics.js';
import { openStorage, tenantDataDir } from '../app/storage.js';
import { detectFormat, type TraceFileFormat } from '../formats/detect.js';
import { jaegerToOtlp } from '../formats/jaeger.js';
import { readAll, readHead, readJsonValues } from '../formats/read-file.js';
import { zipkinToOtlp } from '../formats/zipkin.js';
import { Assembler } from '../ingest/assembler.js';
import { IngestPipeline, type IngestOutcome } from '../ingest/pipeline.js';
import { ServiceInfoCache } from '../ingest/skeletons.js';
import { splitTraceRequest } from '../ingest/split-request.js';
import type { OtlpTraceRequest } from '../model/otlp.js';
import { decodeTraceRequestToModel } from '../otlp/decode-message.js';
import { encodeTraceRequest } from '../otlp/encode.js';
import { parseTraceRequestJson } from '../otlp/json.js';
import { loadConfigOrExplain, tenantFlag } from './config-flags.js';
import { Progress } from './progress.js';

export interface ImportFlags {
  data?: string;
  storage?: string;
  clickhouseUrl?: string;
  clickhouseCluster?: string;
  config?: string;
  format?: string;
  /** Import into this tenant's store (else `TRIBUTARY_TENANT`). */
  tenant?: string;
}

/** Spans per batch handed to the store: big enough to amortize a commit, small enough to show progress. */
const IMPORT_BATCH_SPANS = 20_000;

interface Totals {
  spans: number;
  rejected: number;
  warnings: number;
  errors: number;
}

/**
 * `tributary import FILE...`: reads OTLP/JSON (one object or JSON lines), OTLP protobuf, Zipkin v2
 * or Jaeger JSON through the same pipeline as OTLP ingest, then derives every trace's calls at
 * once (no settle wait). Bad files or lines are reported and skipped; the rest is imported.
 */
export async function importCommand(files: readonly string[], flags: ImportFlags): Promise<number> {
  const config = loadConfigOrExplain({
    ...(flags.config ? { config: flags.config } : {}),
    ...(flags.data ? { dataDir: flags.data } : {}),
    ...(flags.storage ? { storage: flags.storage } : {}),
    ...(flags.clickhouseUrl ? { clickhouseUrl: flags.clickhouseUrl } : {}),
    ...(flags.clickhouseCluster ? { clickhouseCluster: flags.clickhouseCluster } : {}),
  });
  if (!config) return 2;
  const tenant = tenantFlag(flags.tenant);
  if (!tenant.ok) {
    process.stderr.write(`error: ${tenant.error}\n`);
    return 2;
  }
  const forced = flags.format && flags.format !== 'auto' ? (flags.format as TraceFileFormat) : undefined;
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const storage = await openStorage(config, tenant.tenant !== undefined ? { tenant: tenant.tenant } : {});
  const metrics = new Metrics();
  const assembler = new Assembler({
    storage,
    services: new ServiceInfoCache({ proxyServices: config.proxies }),
    derivation: { failureRules: config.failureRules },
    metrics,
    settleMs: 0,
    maxLiveSpans: config.limits.maxLiveSpans,
    maxSpansPerTrace: config.limits.maxSpansPerTrace,
    log,
  });
  const pipeline = new IngestPipeline(storage, assembler, { ...config.limits, maxQueuedSpans: Number.MAX_SAFE_INTEGER }, metrics, log);
  const totals: Totals = { spans: 0, rejected: 0, warnings: 0, errors: 0 };
  const started = Date.now();
  try {
    for (const file of files) {
      const format = forced ?? detectFormat(await readHead(file), file);
      const progress = new Progress(`${path.basename(file)} (${format})`);
      try {
        await importFile(file, format, pipeline, totals, progress, log);
      } finally {
        progress.done();
      }
    }
    await assembler.flush();
  } finally {
    await storage.close();
  }
  const traces = (await metrics.tracesDerived.get()).values.reduce((n, v) => n + v.value, 0);
  const calls = (await metrics.callsWritten.get()).values.reduce((n, v) => n + v.value, 0);
  log(
    `imported ${totals.spans} span(s) from ${files.length} file(s) into ${tenantDataDir(config.dataDir, tenant.tenant)} in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
      `${traces} trace(s), ${calls} service call(s)` +
      (totals.rejected ? `, ${totals.rejected} span(s) rejected` : '') +
      (totals.warnings ? `, ${totals.warnings} warning(s)` : '') +
      (totals.errors ? `, ${totals.errors} error(s)` : ''),
  );
  return totals.errors > 0 ? 1 : 0;
}

async function importFile(file: string, format: TraceFileFormat, pipeline: IngestPipeline, totals: Totals, progress: Progress, log: (m: string) => void): Promise<void> {
  const onProgress = (read: number, total: number) => progress.update(read, total);
  const fail = (where: string, message: string) => {
    totals.errors++;
    log(`${file}${where}: ${message}`);
  };
  switch (format) {
    case 'otlp-json':
      for await (const value of readJsonValues(file, { onProgress })) {
        if (!value.ok) {
          fail(`:${value.line}`, value.error);
          continue;
        }
        const parsed = parseTraceRequestJson(value.value);
        if (!parsed.ok) fail(`:${value.line}`, parsed.error);
        else await ingestRequest(parsed.request, pipeline, totals, (m) => fail(`:${value.line}`, m));
      }
      return;
    case 'otlp-proto': {
      const bytes = await readAll(file, { onProgress });
      let request: OtlpTraceRequest;
      try {
        request = decodeTraceRequestToModel(bytes);
      } catch (error) {
        return fail('', `not an OTLP protobuf ExportTraceServiceRequest: ${error instanceof Error ? error.message : String(error)}`);
      }
      return ingestRequest(request, pipeline, totals, (m) => fail('', m));
    }
    case 'zipkin':
    case 'jaeger': {
      const text = Buffer.from(await readAll(file, { onProgress })).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return fail('', `invalid JSON: ${(error as Error).message}`);
      }
      const result = format === 'zipkin' ? zipkinToOtlp(value) : jaegerToOtlp(value);
      if (!result.ok) return fail('', result.error);
      totals.warnings += result.warnings.length;
      for (const warning of result.warnings) log(`${file}: warning: ${warning}`);
      return ingestRequest(result.request, pipeline, totals, (m) => fail('', m));
    }
  }
}

async function ingestRequest(request: OtlpTraceRequest, pipeline: IngestPipeline, totals: Totals, fail: (message: string) => void): Promise<void> {
  for (const part of splitTraceRequest(request, IMPORT_BATCH_SPANS)) {
    const outcome: IngestOutcome = await pipeline.ingestProtobuf(encodeTraceRequest(part), 'import');
    switch (outcome.kind) {
      case 'accepted':
        totals.spans += outcome.acceptedSpans;
        totals.rejected += outcome.rejectedSpans;
        if (outcome.rejectedSpans > 0) fail(`rejected ${outcome.rejectionMessage}`);
        break;
      case 'invalid':
        fail(outcome.message);
        break;
      case 'retryable':
        throw new Error(`the store could not take the spans: ${outcome.message}`);
    }
  }
}
