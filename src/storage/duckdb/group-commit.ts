/**
 * One writer, group commit. Every write to the store goes through one `GroupCommitQueue`, which
 * runs them one at a time in arrival order:
 *
 * - `submit(item)` jobs that queue up back to back are handed to `commitGroup` together (up to
 *   `maxGroupWeight`), which commits them in one transaction and returns one result per item. So
 *   while one commit waits for its fsync, the appends that arrive meanwhile form the next group,
 *   and N concurrent callers share one fsync instead of paying N.
 * - `exclusive(fn)` jobs run alone, between groups.
 *
 * If a group of several items fails, each item is retried alone, so one bad item rejects only its
 * own caller. `close()` lets everything already queued finish, then refuses new work.
 */
export class GroupCommitQueue<Item, Result> {
  private readonly jobs: Job<Item, Result>[] = [];
  private running = false;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly commitGroup: (items: readonly Item[]) => Promise<Result[]>,
    private readonly options: { readonly weight: (item: Item) => number; readonly maxGroupWeight: number; readonly closedError: () => Error },
  ) {}

  /** Queues an item for the next group; resolves with its result once its group committed. */
  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'item', item, resolve, reject }));
  }

  /** Runs `fn` alone, after everything queued before it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) =>
      this.enqueue({ kind: 'exclusive', run: fn as () => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject }),
    );
  }

  /** Waits for every queued job to settle; later submissions reject with `closedError()`. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.running && this.jobs.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private enqueue(job: Job<Item, Result>): void {
    if (this.closed) {
      job.reject(this.options.closedError());
      return;
    }
    this.jobs.push(job);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let job = this.jobs[0]; job; job = this.jobs[0]) {
        if (job.kind === 'exclusive') {
          this.jobs.shift();
          await Promise.resolve().then(job.run).then(job.resolve, job.reject);
        } else {
          // Callers that just got their result usually submit again at once; one macrotask turn
          // lets them join this group instead of trailing into the next.
          await new Promise((resolve) => setImmediate(resolve));
          await this.runGroup(this.takeGroup());
        }
      }
    } finally {
      this.running = false;
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** The longest run of item jobs at the head of the queue within the weight budget (at least one). */
  private takeGroup(): ItemJob<Item, Result>[] {
    const group: ItemJob<Item, Result>[] = [];
    let weight = 0;
    for (let job = this.jobs[0]; job?.kind === 'item'; job = this.jobs[0]) {
      const w = this.options.weight(job.item);
      if (group.length > 0 && weight + w > this.options.maxGroupWeight) break;
      weight += w;
      group.push(job);
      this.jobs.shift();
    }
    return group;
  }

  private async runGroup(group: readonly ItemJob<Item, Result>[]): Promise<void> {
    try {
      const results = await this.commitGroup(group.map((j) => j.item));
      group.forEach((job, i) => job.resolve(results[i]!));
    } catch (error: unknown) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      // Isolate the item that failed: each one alone, so the others still commit.
      for (const job of group) await this.runGroup([job]);
    }
  }
}

type ItemJob<Item, Result> = {
  readonly kind: 'item';
  readonly item: Item;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
};

type Job<Item, Result> =
  | ItemJob<Item, Result>
  | {
      readonly kind: 'exclusive';
      readonly run: () => Promise<unknown>;
      readonly resolve: (result: unknown) => void;
      readonly reject: (error: unknown) => void;
    };
