import { makeTraceRequest } from './payloads.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
const reqs = Array.from({length: 20}, (_, i) => encodeTraceRequest(makeTraceRequest({ seed: i + 1 })));
let spans = 0;
const t0 = performance.now();
for (let k = 0; k < 150; k++) for (const b of reqs) { const o = decodeTraceRequest(b); if (!o.ok) throw new Error(o.error); spans += o.batch.length; }
console.log(Math.round(spans / ((performance.now() - t0) / 1000)), 'spans/s');
