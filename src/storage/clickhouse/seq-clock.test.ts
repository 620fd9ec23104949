import { describe, expect, it } from 'vitest';
import { SeqClock, seqAtTime } from './seq-clock.js';

describe('SeqClock', () => {
  it('is strictly increasing even when the clock stands still or steps back', () => {
    const times = [1000, 1000, 1000, 999, 500, 1001, 1001];
    let i = 0;
    const clock = new SeqClock(0n, 7, () => times[Math.min(i++, times.length - 1)]!);
    const seqs = times.map(() => clock.next());
    for (let k = 1; k < seqs.length; k++) expect(seqs[k]! > seqs[k - 1]!).toBe(true);
  });

  it('starts above the floor it was given, even with the clock far behind it', () => {
    const floor = new SeqClock(0n, 1, () => 2_000_000_000_000).next();
    const clock = new SeqClock(floor, 2, () => 1_000);
    expect(clock.next() > floor).toBe(true);
    expect(clock.last >= floor).toBe(true);
  });

  it('keeps the writer id in the low 16 bits, so two writers never give the same seq', () => {
    const now = () => 1_700_000_000_000;
    const a = new SeqClock(0n, 1, now);
    const b = new SeqClock(0n, 2, now);
    const seqsA = new Set(Array.from({ length: 100 }, () => a.next()));
    const seqsB = Array.from({ length: 100 }, () => b.next());
    expect(seqsB.some((s) => seqsA.has(s))).toBe(false);
    expect(Number(seqsB[0]! & 0xffffn)).toBe(2);
  });

  it('follows the clock: a seq from time t is at least seqAtTime(t) and below seqAtTime(t + 1 ms)', () => {
    const clock = new SeqClock(0n, 65_535, () => 1_700_000_000_000);
    const seq = clock.next();
    expect(seq >= seqAtTime(1_700_000_000_000)).toBe(true);
    expect(seq < seqAtTime(1_700_000_000_001)).toBe(true);
    expect(seq < 1n << 63n).toBe(true);
  });

  it('rejects a writer id that does not fit 16 bits', () => {
    expect(() => new SeqClock(0n, 1 << 16)).toThrow(/16-bit/);
  });
});
