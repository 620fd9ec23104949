const strings = ['GET /api/orders/{id}', 'frontend.shop.svc.cluster.local', 'http://cart.shop.svc.cluster.local:8080/api/recommendations', 'POST', 'cart', 'db.system.name'];
const enc = new TextEncoder();
const parts = strings.map((s) => enc.encode(s));
const total = parts.reduce((a, p) => a + p.length, 0);
const buf = new Uint8Array(total); const offs: number[] = []; let o = 0;
for (const p of parts) { offs.push(o); buf.set(p, o); o += p.length; }
const B = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
const td = new TextDecoder();
function concat(b: Uint8Array, s: number, e: number) { let out = ''; for (let i = s; i < e; i++) { const c = b[i]!; if (c >= 0x80) return td.decode(b.subarray(s, e)); out += String.fromCharCode(c); } return out; }
function apply(b: Uint8Array, s: number, e: number) { return String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]); }
function tdec(b: Uint8Array, s: number, e: number) { return td.decode(b.subarray(s, e)); }
function utf8s(b: Uint8Array, s: number, e: number) { return (B as any).utf8Slice(s, e); }
function latin(b: Uint8Array, s: number, e: number) { return (B as any).latin1Slice(s, e); }
function tostr(b: Uint8Array, s: number, e: number) { return B.toString('utf8', s, e); }
let sink = 0;
for (const [name, f] of Object.entries({ concat, apply, tdec, utf8s, latin, tostr, concat2: concat })) {
  for (let round = 0; round < 2; round++) {
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < 300000; k++) for (let j = 0; j < parts.length; j++) { const s = f(buf, offs[j]!, offs[j]! + parts[j]!.length); sink += s.length + s.charCodeAt(s.length - 1); }
  const dt = Number(process.hrtime.bigint() - t0) / (300000 * parts.length);
  if (round) console.log(name.padEnd(8), dt.toFixed(1), 'ns/string');
  }
}
console.log(sink > 0);
const utf8Slice = (Buffer.prototype as any).utf8Slice as (this: Uint8Array, s: number, e: number) => string;
function callSlice(b: Uint8Array, s: number, e: number) { return utf8Slice.call(b, s, e); }
const SLOTS = 4096, MAXB = 64;
const arena = new Uint8Array(SLOTS * MAXB); const lens = new Int32Array(SLOTS).fill(-1); const vals: string[] = new Array(SLOTS).fill('');
function cached(b: Uint8Array, s: number, e: number) {
  const n = e - s; if (n > MAXB) return utf8Slice.call(b, s, e);
  let h = 0x811c9dc5 ^ n;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
  const base = slot * MAXB;
  if (lens[slot] === n) { let i = 0; for (; i < n; i++) if (arena[base + i] !== b[s + i]) break; if (i === n) return vals[slot]!; }
  const str = utf8Slice.call(b, s, e);
  for (let i = 0; i < n; i++) arena[base + i] = b[s + i]!;
  lens[slot] = n; vals[slot] = str; return str;
}
for (const [name, f] of Object.entries({ callSlice, cached })) {
  for (let round = 0; round < 2; round++) {
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < 300000; k++) for (let j = 0; j < parts.length; j++) { const s = f(buf, offs[j]!, offs[j]! + parts[j]!.length); sink += s.length + s.charCodeAt(s.length - 1); }
  const dt = Number(process.hrtime.bigint() - t0) / (300000 * parts.length);
  if (round) console.log(name.padEnd(8), dt.toFixed(1), 'ns/string');
  }
}
