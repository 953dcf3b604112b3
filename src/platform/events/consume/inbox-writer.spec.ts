import { describe, expect, it } from 'vitest';
import type { InboxRecord } from '../events.schemas.js';
import { InboxWriter } from './inbox-writer.js';

const rec = (id: string): InboxRecord => ({
  _id: id,
  eventId: id,
  subscriber: 's',
  type: 't.e.happened',
  handledAt: new Date(),
});

describe('InboxWriter', () => {
  it('writes at once when idle and gathers what queues meanwhile into one insertMany', async () => {
    const calls: string[][] = [];
    let release!: () => void;
    const writer = new InboxWriter({
      insertMany: (docs) => {
        calls.push(docs.map((d) => d._id));
        return calls.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    });
    const first = writer.record(rec('a'));
    const rest = [writer.record(rec('b')), writer.record(rec('c'))];
    release();
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([['a'], ['b', 'c']]);
  });

  it('counts a duplicate as written and fails only the records that failed', async () => {
    let release!: () => void;
    let calls = 0;
    const writer = new InboxWriter({
      insertMany: () =>
        ++calls === 1
          ? new Promise<void>((r) => (release = r))
          : Promise.reject(
              Object.assign(new Error('bulk'), {
                writeErrors: [
                  { index: 0, code: 11000 },
                  { index: 2, code: 121 },
                ],
              }),
            ),
    });
    const first = writer.record(rec('first'));
    const results = Promise.allSettled([
      writer.record(rec('dup')),
      writer.record(rec('ok')),
      writer.record(rec('bad')),
    ]);
    release();
    await first;
    expect((await results).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  });

  it('fails every waiter of a write that failed as a whole', async () => {
    const writer = new InboxWriter({
      insertMany: () => Promise.reject(new Error('connection reset')),
    });
    await expect(writer.record(rec('x'))).rejects.toThrow('connection reset');
  });
});
