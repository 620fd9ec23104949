import { describe, expect, it } from 'vitest';
import { Metrics } from '../app/metrics.js';
import { DEFAULT_CONFIG } from '../config/config.js';
import { decodeSpan } from '../otlp/decode-message.js';
import { decodeTraceRequest } from '../otlp/decode-request.js';
import { encodeTraceRequest } from '../otlp/encode.js';
import { countTruncatedSpans, decodeLimitsOf } from './span-limits.js';

describe('span limits at ingest', () => {
  it('passes the configured limits to the decoder and counts truncated spans by limit', async () => {
    const limits = { ...DEFAULT_CONFIG.limits, maxSpansPerRequest: 2, maxAttributesPerSpan: 1, maxAttributeValueBytes: 3 };
    const span = (id: number, attributes: [string, string][]) => ({
      traceId: new Uint8Array(16).fill(7),
      spanId: new Uint8Array(8).fill(id),
      traceState: '', parentSpanId: new Uint8Array(0), flags: 0, name: 'op', kind: 1,
      startTimeUnixNano: 1n, endTimeUnixNano: 2n,
      attributes: attributes.map(([key, value]) => ({ key, value: { stringValue: value } })),
      droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0,
      status: { code: 0, message: '' },
    });
    const request = (spans: ReturnType<typeof span>[]) => encodeTraceRequest({
      resourceSpans: [{ resource: { attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', scopeSpans: [{ scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', spans }] }],
    });

    expect(decodeTraceRequest(request([span(1, []), span(2, []), span(3, [])]), decodeLimitsOf(limits)).ok).toBe(false);
    const outcome = decodeTraceRequest(request([span(1, [['a', 'abcdef']]), span(2, [['a', 'x'], ['b', 'y']])]), decodeLimitsOf(limits));
    if (!outcome.ok) throw new Error(outcome.error);
    expect(decodeSpan(outcome.batch.payloads[0]!).attributes).toEqual([{ key: 'a', value: { stringValue: 'abc' } }]);
    expect(decodeSpan(outcome.batch.payloads[1]!).droppedAttributesCount).toBe(1);

    const metrics = new Metrics();
    countTruncatedSpans(metrics, outcome.truncated);
    countTruncatedSpans(metrics, { attributes: 0, valueLength: 0 });
    const text = await metrics.text();
    expect(text).toContain('tributary_spans_truncated_total{limit="attributes"} 1');
    expect(text).toContain('tributary_spans_truncated_total{limit="value_length"} 1');
  });
});
