/**
 * Sequence numbers for a store that several processes may write at once, with no coordinator:
 * `seq = t << 16 | writer`, where `t` counts 1/32 ms since the Unix epoch and `writer` is a random
 * 16-bit id of this process. `t` is the clock, or one past the previous `t` when appends come
 * faster than 32 per ms or the clock steps back, so seqs are strictly increasing within a process;
 * they start above every seq the store already holds (the floor read at open), so they keep
 * increasing across restarts; and two processes can only collide if they drew the same writer id
 * (1 in 65 536) and the same `t`. Ordering across processes follows their clocks. Seqs stay below
 * 2^63 until the year 2109 and below 2^64 (UInt64) until 2248.
 *
 * The same clock numbers `calls` generations (`write_id`) and `meta` versions, so "newer write"
 * is always "larger number".
 */
import { randomInt } from 'node:crypto';

const WRITER_BITS = 16n;
const TICKS_PER_MS = 32n;

export class SeqClock {
  private lastTick: bigint;

  constructor(
    /** Every seq returned will exceed this. */
    floor: bigint,
    readonly writerId: number = randomInt(0, 1 << 16),
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!Number.isInteger(writerId) || writerId < 0 || writerId >= 1 << 16) throw new Error(`writer id ${writerId} is not a 16-bit number`);
    this.lastTick = floor >> WRITER_BITS;
  }

  /** The next seq: larger than every seq this clock returned or was given as floor. */
  next(): bigint {
    const clock = BigInt(Math.floor(this.nowMs())) * TICKS_PER_MS;
    this.lastTick = clock > this.lastTick ? clock : this.lastTick + 1n;
    return (this.lastTick << WRITER_BITS) | BigInt(this.writerId);
  }

  /** The largest seq handed out so far (or the floor's tick, before the first). */
  get last(): bigint {
    return (this.lastTick << WRITER_BITS) | 0xffffn;
  }
}

/** The smallest seq any clock would give at `unixMs`: for "written before that time" bounds. */
export function seqAtTime(unixMs: number): bigint {
  return (BigInt(Math.max(0, Math.floor(unixMs))) * TICKS_PER_MS) << WRITER_BITS;
}
