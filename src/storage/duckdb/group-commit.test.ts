import { describe, expect, it } from 'vitest';
import { GroupCommitQueue } from './group-commit.js';

/** A commit function whose commits finish only when the test says so, recording every group. */
function controlledCommit() {
  const groups: string[][] = [];
  const pending: Array<() => void> = [];
  const commit = async (items: readonly string[]): Promise<string[]> => {
    groups.push([...items]);
    await new Promise<void>((resolve) => pending.push(resolve));
    if (items.some((i) => i.startsWith('bad')) ) throw new Error(`cannot commit ${items.join(',')}`);
    return items.map((i) => `ok:${i}`);
  };
  /** Lets the oldest running commit finish, once it has started. */
  const finishNext = async (): Promise<void> => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()!();
  };
  return { groups, commit, finishNext };
}

function queueOf(commit: (items: readonly string[]) => Promise<string[]>, maxGroupWeight = 100) {
  return new GroupCommitQueue<string, string>(commit, {
    weight: (item) => item.length,
    maxGroupWeight,
    closedError: () => new Error('closed'),
  });
}

describe('GroupCommitQueue', () => {
  it('groups the items that queue up while a commit is in flight, and resolves each with its own result', async () => {
    const c = controlledCommit();
    const queue = queueOf(c.commit);
    const first = queue.submit('a');
    await new Promise((r) => setImmediate(r)); // 'a' is now committing alone
    const rest = ['b', 'c', 'd'].map((x) => queue.submit(x));
    await c.finishNext();
    await c.finishNext();
    expect(await first).toBe('ok:a');
    expect(await Promise.all(rest)).toEqual(['ok:b', 'ok:c', 'ok:d']);
    expect(c.groups).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('rejects only the caller whose item fails; the rest of its group still commits', async () => {
    const c = controlledCommit();
    const queue = queueOf(c.commit);
    const results = Promise.allSettled(['x', 'bad1', 'y'].map((i) => queue.submit(i)));
    for (let i = 0; i < 4; i++) await c.finishNext(); // the group, then each item alone
    const [x, bad, y] = await results;
    expect(x).toEqual({ status: 'fulfilled', value: 'ok:x' });
    expect(y).toEqual({ status: 'fulfilled', value: 'ok:y' });
    expect(bad?.status).toBe('rejected');
    expect(c.groups).toEqual([['x', 'bad1', 'y'], ['x'], ['bad1'], ['y']]);
  });

  it('runs exclusive jobs alone, in arrival order between groups', async () => {
    const log: string[] = [];
    const queue = queueOf(async (items) => {
      log.push(`group ${items.join('')}`);
      return [...items];
    });
    await Promise.all([
      queue.submit('a'),
      queue.submit('b'),
      queue.exclusive(async () => log.push('exclusive 1')),
      queue.submit('c'),
      queue.exclusive(async () => log.push('exclusive 2')),
    ]);
    expect(log).toEqual(['group ab', 'exclusive 1', 'group c', 'exclusive 2']);
  });

  it('passes an exclusive job\'s rejection to its caller and keeps going', async () => {
    const queue = queueOf(async (items) => [...items]);
    const failing = queue.exclusive(async () => {
      throw new Error('nope');
    });
    const after = queue.submit('z');
    await expect(failing).rejects.toThrow('nope');
    expect(await after).toBe('z');
  });

  it('splits groups at the weight budget, but always takes at least one item', async () => {
    const groups: string[][] = [];
    const queue = queueOf(async (items) => {
      groups.push([...items]);
      return [...items];
    }, 5);
    await Promise.all(['aa', 'bb', 'cc', 'dddddddd', 'e'].map((i) => queue.submit(i)));
    expect(groups).toEqual([['aa', 'bb'], ['cc'], ['dddddddd'], ['e']]);
  });

  it('on close, finishes what was queued and rejects what comes later', async () => {
    const c = controlledCommit();
    const queue = queueOf(c.commit);
    const queued = [queue.submit('a'), queue.submit('b')];
    const closing = queue.close();
    await expect(queue.submit('late')).rejects.toThrow('closed');
    await expect(queue.exclusive(async () => 1)).rejects.toThrow('closed');
    await c.finishNext();
    await closing;
    expect(await Promise.all(queued)).toEqual(['ok:a', 'ok:b']);
    await queue.close(); // idempotent
  });
});
