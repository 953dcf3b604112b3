import type { ClientSession } from 'mongoose';
import { afterCommit } from '../../src/platform/events/outbox/after-commit.js';

/** A stand-in with the three methods the hook wraps; `failCommit` makes the next commit throw. */
function fakeSession() {
  const s = {
    failCommit: false,
    startTransaction: () => undefined,
    abortTransaction: async () => undefined,
    commitTransaction: async () => {
      if (s.failCommit) {
        s.failCommit = false;
        throw new Error('UnknownTransactionCommitResult');
      }
    },
  };
  return s;
}

describe('afterCommit', () => {
  it('hands over what the transaction collected once it commits, once', async () => {
    const s = fakeSession();
    const seen: number[][] = [];
    s.startTransaction();
    afterCommit(s as unknown as ClientSession, [1, 2], (items) => seen.push(items));
    afterCommit(s as unknown as ClientSession, [3], (items) => seen.push(items));
    expect(seen).toEqual([]);
    await s.commitTransaction();
    expect(seen).toEqual([[1, 2, 3]]);
    await s.commitTransaction();
    expect(seen).toEqual([[1, 2, 3]]);
  });

  it('drops what an aborted or retried attempt collected', async () => {
    const s = fakeSession();
    const seen: number[][] = [];
    s.startTransaction();
    afterCommit(s as unknown as ClientSession, [1], (items) => seen.push(items));
    await s.abortTransaction();
    s.startTransaction();
    afterCommit(s as unknown as ClientSession, [2], (items) => seen.push(items));
    s.startTransaction(); // a retry starts over
    afterCommit(s as unknown as ClientSession, [3], (items) => seen.push(items));
    await s.commitTransaction();
    expect(seen).toEqual([[3]]);
  });

  it('reports after a commit that had to be retried, not after the failed try', async () => {
    const s = fakeSession();
    const seen: number[][] = [];
    s.startTransaction();
    afterCommit(s as unknown as ClientSession, [7], (items) => seen.push(items));
    s.failCommit = true;
    await expect(s.commitTransaction()).rejects.toThrow('UnknownTransactionCommitResult');
    expect(seen).toEqual([]);
    await s.commitTransaction();
    expect(seen).toEqual([[7]]);
  });
});
