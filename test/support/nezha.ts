import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hexToBytes, SPAN_ID_BYTES, TRACE_ID_BYTES } from '../../src/model/ids.js';
import { SpanKind, StatusCode } from '../../src/model/otlp.js';
import type { KeyValue, OtlpSpan, OtlpTraceRequest } from '../../src/model/otlp.js';

/**
 * Test support: the Nezha (FSE'23) trace CSVs in `shared/testdata/nezha-trainticket-onlineboutique`
 * as OTLP requests. Real TrainTicket and Online Boutique traces from Kubernetes, so tests get
 * realistic topologies with pods, deployments and namespaces.
 *
 * CSV columns: TraceID, SpanID, ParentID ('root' for roots), PodName, OperationName,
 * StartTimeUnixNano, EndTimeUnixNano, Duration (µs, redundant). The CSVs carry no span kind,
 * status or attributes, so neither do the spans (kind UNSPECIFIED, status UNSET): call derivation
 * has to work from parent links and services alone, as DESIGN.md §2 requires.
 *
 * Each pod is one resource: `service.name` and `k8s.deployment.name` are the pod name without its
 * `-<replicaset-hash>-<suffix>` tail, plus `k8s.pod.name` and `k8s.namespace.name`.
 */

export const NEZHA_DIR = fileURLToPath(new URL('../../../shared/testdata/nezha-trainticket-onlineboutique/', import.meta.url));

export const NEZHA_FILES = {
  trainTicketNormal: 'trainticket_2023-01-29_08_50_normal_trace.csv',
  trainTicketFault: 'trainticket_2023-01-29_10_20_fault_trace.csv',
  onlineBoutique: 'onlineboutique_2022-08-22_04_03_trace_subset.csv',
} as const;

export interface NezhaOptions {
  /**
   * `k8s.namespace.name` of every pod. Default: Nezha's namespaces, `ts` when the pods are
   * TrainTicket's (`ts-…`), else `hipster` (Online Boutique).
   */
  readonly namespace?: string;
}

const EXPECTED_HEADER = 'TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration';

/** `ts-travel2-service-5c66d57d58-6mp2b` → `ts-travel2-service`: a Deployment's pod name less its ReplicaSet hash and pod suffix. */
export function workloadOfPod(pod: string): string {
  const match = /^(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$/.exec(pod);
  return match?.[1] ?? pod;
}

/** Splits one CSV line (RFC 4180 quoting, which the Nezha files happen not to need). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** Converts Nezha CSV text; throws on a malformed row (test data must be exactly what it claims). */
export function nezhaCsvToOtlp(csv: string, options: NezhaOptions = {}): OtlpTraceRequest {
  const lines = csv.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== EXPECTED_HEADER) throw new Error(`not a Nezha trace CSV: header ${JSON.stringify(lines[0])}`);
  const rows = lines.slice(1).map((line, i) => {
    const f = csvFields(line);
    if (f.length !== 8) throw new Error(`row ${i + 2}: ${f.length} fields, expected 8`);
    return f as [string, string, string, string, string, string, string, string];
  });
  const namespace = options.namespace ?? (rows.every((r) => r[3].startsWith('ts-')) ? 'ts' : 'hipster');

  const byPod = new Map<string, OtlpSpan[]>();
  rows.forEach(([traceId, spanId, parentId, pod, name, start, end], i) => {
    const trace = hexToBytes(traceId, TRACE_ID_BYTES);
    const span = hexToBytes(spanId, SPAN_ID_BYTES);
    const parent = parentId === 'root' ? new Uint8Array(0) : hexToBytes(parentId, SPAN_ID_BYTES);
    if (trace === undefined || span === undefined || parent === undefined || !/^\d+$/.test(start) || !/^\d+$/.test(end)) {
      throw new Error(`row ${i + 2}: malformed ids or times`);
    }
    const spans = byPod.get(pod) ?? [];
    spans.push({
      traceId: trace,
      spanId: span,
      parentSpanId: parent,
      traceState: '',
      flags: 0,
      name,
      kind: SpanKind.UNSPECIFIED,
      startTimeUnixNano: BigInt(start),
      endTimeUnixNano: BigInt(end),
      attributes: [],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: StatusCode.UNSET, message: '' },
    });
    byPod.set(pod, spans);
  });

  const attr = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
  return {
    resourceSpans: [...byPod].map(([pod, spans]) => ({
      resource: {
        attributes: [
          attr('service.name', workloadOfPod(pod)),
          attr('k8s.namespace.name', namespace),
          attr('k8s.deployment.name', workloadOfPod(pod)),
          attr('k8s.pod.name', pod),
        ],
        droppedAttributesCount: 0,
      },
      scopeSpans: [{ scope: { name: 'nezha', version: '', attributes: [], droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    })),
  };
}

/** Reads one of `NEZHA_FILES` (or any file name in `NEZHA_DIR`). */
export function readNezha(fileName: string, options: NezhaOptions = {}): OtlpTraceRequest {
  return nezhaCsvToOtlp(readFileSync(NEZHA_DIR + fileName, 'utf8'), options);
}
