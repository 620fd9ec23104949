/**
 * The attribute limits of `IngestLimits` applied at decode time (see otlp/attribute-limits.ts for
 * the rules): what the pipeline passes to the decoder and what it counts afterwards.
 */
import type { Metrics } from '../app/metrics.js';
import type { IngestLimits } from '../config/config.js';
import type { DecodeLimits, TruncatedSpans } from '../otlp/decode-request.js';

/** The decoder's limits for an ingest configuration: spans per request and the attribute limits. */
export function decodeLimitsOf(limits: IngestLimits): DecodeLimits {
  return {
    maxSpans: limits.maxSpansPerRequest,
    maxAttributesPerSpan: limits.maxAttributesPerSpan,
    maxAttributeValueBytes: limits.maxAttributeValueBytes,
  };
}

/** Adds a decoded request's truncated spans to `tributary_spans_truncated_total{limit}`. */
export function countTruncatedSpans(metrics: Metrics, truncated: TruncatedSpans): void {
  if (truncated.attributes > 0) metrics.spansCutToLimits.inc({ limit: 'attributes' }, truncated.attributes);
  if (truncated.valueLength > 0) metrics.spansCutToLimits.inc({ limit: 'value_length' }, truncated.valueLength);
}
