import 'protobufjs/light.js';
import { makeTraceRequest } from './payloads.js';
import { encodeTraceRequest } from '../src/otlp/encode.js';
import { decodeTraceRequest } from '../src/otlp/decode-request.js';
const reqs = Array.from({length: 20}, (_, i) => encodeTraceRequest(makeTraceRequest({ seed: i + 1 })));
for (const iters of [10, 30, 100]) {
let best = Infinity;
for (let round = 0; round < 6; round++) {
  let spans = 0;
  const c0 = process.cpuUsage();
  for (let k = 0; k < iters; k++) for (const b of reqs) { const o = decodeTraceRequest(b); if (!o.ok) throw new Error(o.error); spans += o.batch.length; }
  const c = process.cpuUsage(c0); const ns = (c.user + c.system) * 1e3 / spans;
  if (round > 0) best = Math.min(best, ns);
}
console.log(iters, 'best ns/span', best.toFixed(0), '=', Math.round(1e9 / best), 'spans/s');
}
