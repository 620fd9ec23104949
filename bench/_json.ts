import { makeTraceRequest } from './payloads.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
import { parseTraceRequestJson, traceRequestToJson } from '../src/otlp/json.js';
const texts = Array.from({length: 10}, (_, i) => JSON.stringify(traceRequestToJson(makeTraceRequest({ seed: i + 1 }))));
const t = { parse: 0, model: 0, encode: 0, decode: 0 };
for (let k = 0; k < 15; k++) for (const text of texts) {
  let c = process.cpuUsage(); const v = JSON.parse(text); let d = process.cpuUsage(c); t.parse += d.user + d.system;
  c = process.cpuUsage(); const p = parseTraceRequestJson(v); d = process.cpuUsage(c); t.model += d.user + d.system;
  if (!p.ok) throw new Error();
  c = process.cpuUsage(); const b = encodeTraceRequest(p.request); d = process.cpuUsage(c); t.encode += d.user + d.system;
  c = process.cpuUsage(); decodeTraceRequest(b); d = process.cpuUsage(c); t.decode += d.user + d.system;
}
const spans = 15 * 10 * 1000;
for (const [k, v] of Object.entries(t)) console.log(k.padEnd(8), (v * 1000 / spans).toFixed(0), 'ns/span');
