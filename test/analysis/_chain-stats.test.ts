import { it } from "vitest";
import { casesOf, topologyOf } from './differential-cases.js';
it('stats', () => {
let real = 0, realHit = 0, realAll = 0, none = 0, noneHit = 0, plain = 0, plainHit = 0;
for (let seed = 1; seed <= 30; seed++) {
  const t = topologyOf(seed); const c = casesOf(t, seed);
  c.filters.forEach((f, i) => {
    const n = t.oracle.focalCount(f);
    const un = t.oracle.focalCount({ fromUnixNano: f.fromUnixNano, toUnixNano: f.toUnixNano, service: f.service, ...(f.request ? { request: f.request } : {}) });
    const k = i % 5;
    if (k === 2 || k === 3) { real++; if (n > 0) realHit++; if (n === un) realAll++; }
    else if (k === 4) { none++; if (n > 0) noneHit++; }
    else { plain++; if (n > 0) plainHit++; }
  });
}
console.log({ real, realHit, realAll, none, noneHit, plain, plainHit });
});
