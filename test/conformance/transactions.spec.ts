import { Long, MongoServerError, type ClientSession, type Collection, type Db, type MongoClient } from 'mongodb';
import { connectDriver } from './target.js';

type Loose = any;

describe('conformance: transactions through the driver', () => {
  let client: MongoClient;
  let db: Db;
  let close: () => Promise<void>;
  const sessions: ClientSession[] = [];
  beforeAll(async () => {
    ({ client, db, close } = await connectDriver('txn'));
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) {
      if (s.inTransaction()) await s.abortTransaction().catch(() => undefined);
      await s.endSession();
    }
  });
  afterAll(() => close());

  const session = () => {
    const s = client.startSession();
    sessions.push(s);
    return s;
  };
  const fresh = async (name: string, docs: Loose[] = []): Promise<Collection<Loose>> => {
    const c = db.collection<Loose>(name);
    await c.drop().catch(() => undefined);
    await db.createCollection(name);
    if (docs.length) await c.insertMany(docs);
    return c;
  };

  it('hides uncommitted writes, shows them to the transaction itself, and publishes them on commit', async () => {
    const c = await fresh('visibility', [{ _id: 1, n: 0 }]);
    const s = session();
    s.startTransaction();
    await c.insertOne({ _id: 2, n: 0 }, { session: s });
    await c.updateOne({ _id: 1 }, { $inc: { n: 5 } }, { session: s });
    await c.updateOne({ _id: 2 }, { $set: { seen: true } }, { session: s });
    expect(await c.countDocuments({}, { session: s })).toBe(2);
    expect(await c.findOne({ _id: 1 }, { session: s })).toEqual({ _id: 1, n: 5 });
    expect(await c.findOne({ _id: 2 }, { session: s })).toEqual({ _id: 2, n: 0, seen: true });
    expect(await c.countDocuments({})).toBe(1);
    expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, n: 0 });
    await s.commitTransaction();
    expect(await c.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, n: 5 },
      { _id: 2, n: 0, seen: true },
    ]);
  });

  it('reads one snapshot for the whole transaction', async () => {
    const c = await fresh('snapshot', [
      { _id: 'a', v: 1 },
      { _id: 'b', v: 1 },
      { _id: 'gone', v: 1 },
    ]);
    const s = session();
    s.startTransaction({ readConcern: { level: 'snapshot' } });
    expect((await c.findOne({ _id: 'a' }, { session: s }))?.v).toBe(1);
    await c.updateMany({}, { $set: { v: 2 } });
    await c.deleteOne({ _id: 'gone' });
    await c.insertOne({ _id: 'new', v: 2 });
    expect((await c.findOne({ _id: 'b' }, { session: s }))?.v).toBe(1);
    expect((await c.find({}, { session: s }).sort({ _id: 1 }).toArray()).map((d) => `${d._id}:${d.v}`)).toEqual([
      'a:1',
      'b:1',
      'gone:1',
    ]);
    expect(await c.countDocuments({ v: 1 }, { session: s })).toBe(3);
    await s.commitTransaction();
    expect(await c.countDocuments({ v: 2 })).toBe(3);
  });

  it('reads its snapshot through an index whose keys changed after it started', async () => {
    const c = await fresh('snapshot_index', [
      { _id: 'p1', status: 'open', n: 1 },
      { _id: 'p2', status: 'open', n: 2 },
      { _id: 'p3', status: 'done', n: 3 },
    ]);
    await c.createIndex({ status: 1 });
    const s = session();
    s.startTransaction({ readConcern: { level: 'snapshot' } });
    expect(await c.countDocuments({}, { session: s })).toBe(3);
    await c.updateOne({ _id: 'p1' }, { $set: { status: 'done' } });
    await c.updateOne({ _id: 'p3' }, { $set: { status: 'open' } });
    await c.insertOne({ _id: 'p4', status: 'open', n: 4 });
    await c.updateOne({ _id: 'p2' }, { $set: { status: 'closed' } }, { session: s });
    const ids = async (status: string) => (await c.find({ status }, { session: s }).toArray()).map((d) => d._id).sort();
    expect(await ids('open')).toEqual(['p1']);
    expect(await ids('done')).toEqual(['p3']);
    expect(await ids('closed')).toEqual(['p2']);
    expect(await c.findOne({ _id: 'p1', status: 'open' }, { session: s })).toMatchObject({ n: 1 });
    expect(await c.findOne({ _id: 'p3', status: 'open' }, { session: s })).toBeNull();
    await s.commitTransaction();
    expect((await c.find({ status: 'open' }).toArray()).map((d) => d._id).sort()).toEqual(['p3', 'p4']);
  });

  it('discards inserts, updates and deletes on abort', async () => {
    const c = await fresh('abort', [{ _id: 1, n: 0 }, { _id: 2 }]);
    const s = session();
    s.startTransaction();
    await c.insertOne({ _id: 3 }, { session: s });
    await c.updateOne({ _id: 1 }, { $set: { n: 99 } }, { session: s });
    await c.deleteOne({ _id: 2 }, { session: s });
    expect(await c.countDocuments({}, { session: s })).toBe(2);
    await s.abortTransaction();
    expect(await c.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 1, n: 0 }, { _id: 2 }]);
  });

  it('fails the second of two transactions writing one document with a retryable WriteConflict', async () => {
    const c = await fresh('conflict', [{ _id: 1, n: 0 }]);
    const s1 = session();
    const s2 = session();
    s1.startTransaction();
    s2.startTransaction();
    await c.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session: s1 });
    const err = await c.updateOne({ _id: 1 }, { $inc: { n: 10 } }, { session: s2 }).catch((e) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 112, codeName: 'WriteConflict' });
    expect(err.hasErrorLabel('TransientTransactionError')).toBe(true);
    // the server aborted s2's transaction: committing it reports NoSuchTransaction
    const commitErr = await s2.commitTransaction().catch((e) => e);
    expect(commitErr).toMatchObject({ code: 251, codeName: 'NoSuchTransaction' });
    expect(commitErr.hasErrorLabel('TransientTransactionError')).toBe(true);
    await s1.commitTransaction();
    expect((await c.findOne({ _id: 1 }))?.n).toBe(1);
  });

  it('conflicts with a plain write committed after the transaction started', async () => {
    const c = await fresh('stale', [{ _id: 1, n: 0 }, { _id: 2 }]);
    const s = session();
    s.startTransaction();
    await c.findOne({ _id: 2 }, { session: s }); // establishes the transaction's snapshot
    await c.updateOne({ _id: 1 }, { $set: { n: 7 } });
    const err = await c.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session: s }).catch((e) => e);
    expect(err).toMatchObject({ code: 112 });
    expect(err.hasErrorLabel('TransientTransactionError')).toBe(true);
    expect((await c.findOne({ _id: 1 }))?.n).toBe(7);
  });

  it('makes a plain write to a document held by a transaction wait for the commit', async () => {
    const c = await fresh('wait', [{ _id: 1, n: 0 }]);
    const s = session();
    s.startTransaction();
    await c.updateOne({ _id: 1 }, { $inc: { n: 1 } }, { session: s });
    let done = false;
    const plain = c.updateOne({ _id: 1 }, { $inc: { n: 100 } }).then((r) => {
      done = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    await s.commitTransaction();
    expect((await plain).modifiedCount).toBe(1);
    expect((await c.findOne({ _id: 1 }))?.n).toBe(101);
  });

  it('retries conflicting transactions through withTransaction until every one commits', async () => {
    const c = await fresh('counter', [{ _id: 'ctr', n: 0 }]);
    const runs = 5;
    let attempts = 0;
    await Promise.all(
      Array.from({ length: runs }, async () => {
        const s = session();
        await s.withTransaction(async () => {
          attempts++;
          const cur = await c.findOne({ _id: 'ctr' }, { session: s });
          await c.updateOne({ _id: 'ctr' }, { $set: { n: cur!.n + 1 } }, { session: s });
          await c.insertOne({ by: attempts }, { session: s });
        });
      }),
    );
    expect((await c.findOne({ _id: 'ctr' }))?.n).toBe(runs);
    expect(await c.countDocuments({ by: { $exists: true } })).toBe(runs);
    expect(attempts).toBeGreaterThanOrEqual(runs);
  });

  it('conserves a total under concurrent transfers (snapshot reads, conflicts retried)', async () => {
    const c = await fresh(
      'bank',
      Array.from({ length: 4 }, (_, i) => ({ _id: `acct${i}`, balance: 100 })),
    );
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const transfers = Array.from({ length: 16 }, () => {
      const from = rand(4);
      return { from: `acct${from}`, to: `acct${(from + 1 + rand(3)) % 4}`, amount: 1 + rand(60) };
    });
    const totalsSeen: number[] = [];
    await Promise.all([
      ...transfers.map(async ({ from, to, amount }) => {
        const s = session();
        await s.withTransaction(async () => {
          const src = await c.findOne({ _id: from }, { session: s });
          if (src!.balance < amount) return;
          await c.updateOne({ _id: from }, { $inc: { balance: -amount } }, { session: s });
          await c.updateOne({ _id: to }, { $inc: { balance: amount } }, { session: s });
        });
      }),
      (async () => {
        for (let i = 0; i < 10; i++) {
          const s = session();
          await s.withTransaction(async () => {
            const all = await c.find({}, { session: s }).toArray();
            totalsSeen.push(all.reduce((n, d) => n + d.balance, 0));
          });
        }
      })(),
    ]);
    const final = await c.find().toArray();
    expect(final.reduce((n, d) => n + d.balance, 0)).toBe(400);
    expect(final.every((d) => d.balance >= 0)).toBe(true);
    expect(new Set(totalsSeen)).toEqual(new Set([400]));
  });

  it('checks unique indexes against committed data and against concurrent transactions', async () => {
    const c = await fresh('uniq');
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertOne({ email: 'taken' });
    const s = session();
    s.startTransaction();
    await c.insertOne({ email: 'fresh' }, { session: s });
    await expect(c.insertOne({ email: 'taken' }, { session: s })).rejects.toMatchObject({ code: 11000 });
    await s.abortTransaction();
    expect(await c.countDocuments({ email: 'fresh' })).toBe(0);

    // two transactions claim one key: one commits, the other ends with a duplicate key after its retry
    const results = await Promise.allSettled(
      [0, 1].map(async (i) => {
        const t = session();
        await t.withTransaction(async () => {
          await c.insertOne({ email: 'race', by: i }, { session: t });
          await new Promise((r) => setTimeout(r, 50));
        });
      }),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 11000 });
    expect(await c.countDocuments({ email: 'race' })).toBe(1);
  });

  it('does not apply a retried write twice (retryable writes replay the first reply)', async () => {
    const c = await fresh('retry');
    const s = session();
    const cmd = { insert: 'retry', documents: [{ _id: 1 }], txnNumber: Long.fromNumber(42) };
    const first = await db.command(cmd, { session: s });
    const second = await db.command(cmd, { session: s });
    expect(first.n).toBe(1);
    expect(second.n).toBe(1);
    expect(second.writeErrors).toBeUndefined();
    expect(await c.countDocuments()).toBe(1);
  });

  it('refuses commands that cannot run in a transaction', async () => {
    const c = await fresh('notxn', [{ a: 1 }]);
    const s = session();
    s.startTransaction();
    await c.findOne({}, { session: s });
    await expect(c.estimatedDocumentCount({ session: s })).rejects.toMatchObject({ code: 263 });
  });
});
