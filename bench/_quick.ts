import { makeTraceRequest } from './payloads.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
const reqs = Array.from({length: 20}, (_, i) => encodeTraceRequest(makeTraceRequest({ seed: i + 1 })));
console.log('bytes per request', reqs[0]!.length, 'per span', reqs[0]!.length / 1000);
let spans = 0;
for (let round = 0; round < 5; round++) {
  const t0 = process.hrtime.bigint(); spans = 0;
  for (let k = 0; k < 60; k++) for (const b of reqs) { const o = decodeTraceRequest(b); if (!o.ok) throw new Error(o.error); spans += o.batch.length; }
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(Math.round(spans / dt), 'spans/s');
}
const o = decodeTraceRequest(reqs[0]!);
if (o.ok) { console.log(o.batch.length, o.batch.resources.length, o.batch.names.slice(0,3), o.batch.semantics.slice(0,3), o.rejected); }
