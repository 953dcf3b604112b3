import { ObjectId, type Db } from 'mongodb';
import { connectDriver } from './target.js';

describe('conformance: aggregation', () => {
  let db: Db;
  let close: () => Promise<void>;
  const alice = new ObjectId();
  const bob = new ObjectId();
  beforeAll(async () => {
    ({ db, close } = await connectDriver('agg'));
    await db.collection('users').insertMany([
      { _id: alice, name: 'alice', team: 'red' },
      { _id: bob, name: 'bob', team: 'blue' },
    ]);
    await db.collection<any>('orders').insertMany([
      { _id: 1, user: alice, total: 10, items: ['a', 'b'], at: new Date('2024-01-01') },
      { _id: 2, user: alice, total: 30, items: ['c'], at: new Date('2024-02-01') },
      { _id: 3, user: bob, total: 5, items: [], at: new Date('2024-03-01') },
    ]);
  });
  afterAll(() => close());

  it('matches, groups, sorts and projects', async () => {
    const out = await db
      .collection('orders')
      .aggregate([
        { $match: { total: { $gte: 5 } } },
        {
          $group: {
            _id: '$user',
            sum: { $sum: '$total' },
            n: { $sum: 1 },
            avg: { $avg: '$total' },
            last: { $max: '$at' },
          },
        },
        { $sort: { sum: -1 } },
        { $project: { _id: 0, user: '$_id', sum: 1, n: 1, avg: 1, last: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { user: alice, sum: 40, n: 2, avg: 20, last: new Date('2024-02-01') },
      { user: bob, sum: 5, n: 1, avg: 5, last: new Date('2024-03-01') },
    ]);
  });

  it('joins with $lookup and flattens with $unwind', async () => {
    const out = await db
      .collection('orders')
      .aggregate([
        { $lookup: { from: 'users', localField: 'user', foreignField: '_id', as: 'who' } },
        { $unwind: '$who' },
        { $project: { total: 1, name: '$who.name' } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, total: 10, name: 'alice' },
      { _id: 2, total: 30, name: 'alice' },
      { _id: 3, total: 5, name: 'bob' },
    ]);
    const items = await db
      .collection('orders')
      .aggregate([{ $unwind: '$items' }, { $group: { _id: null, all: { $push: '$items' } } }])
      .toArray();
    expect(items[0].all.sort()).toEqual(['a', 'b', 'c']);
  });

  it('supports $count, $facet, $addFields, $skip, $limit and expressions', async () => {
    const [counted] = await db
      .collection('orders')
      .aggregate([{ $match: { user: alice } }, { $count: 'n' }])
      .toArray();
    expect(counted).toEqual({ n: 2 });
    const [facets] = await db
      .collection('orders')
      .aggregate([
        {
          $facet: {
            big: [{ $match: { total: { $gt: 8 } } }, { $count: 'n' }],
            first: [{ $sort: { _id: 1 } }, { $skip: 1 }, { $limit: 1 }, { $project: { _id: 1 } }],
          },
        },
      ])
      .toArray();
    expect(facets).toEqual({ big: [{ n: 2 }], first: [{ _id: 2 }] });
    const added = await db
      .collection('orders')
      .aggregate([
        { $addFields: { double: { $multiply: ['$total', 2] }, month: { $month: '$at' }, size: { $size: '$items' } } },
        { $match: { $expr: { $gt: ['$double', 15] } } },
        { $project: { double: 1, month: 1, size: 1, label: { $cond: [{ $gte: ['$total', 20] }, 'big', 'small'] } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(added).toEqual([
      { _id: 1, double: 20, month: 1, size: 2, label: 'small' },
      { _id: 2, double: 60, month: 2, size: 1, label: 'big' },
    ]);
  });

  it('counts documents through the driver helper (aggregate based)', async () => {
    expect(await db.collection('orders').countDocuments({ total: { $lt: 20 } })).toBe(2);
    expect(await db.collection('orders').countDocuments({}, { skip: 1, limit: 1 })).toBe(1);
    expect(await db.collection('missing').countDocuments()).toBe(0);
  });

  it('writes results with $out', async () => {
    await db
      .collection('orders')
      .aggregate([{ $match: { user: alice } }, { $project: { total: 1 } }, { $out: 'alice_orders' }])
      .toArray();
    expect(await db.collection('alice_orders').find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, total: 10 },
      { _id: 2, total: 30 },
    ]);
  });

  it('does not change stored documents while computing', async () => {
    await db
      .collection('orders')
      .aggregate([{ $addFields: { 'nested.x': 1, total: 0 } }, { $unset: 'items' }])
      .toArray();
    expect(await db.collection('orders').findOne({ _id: 1 as never })).toMatchObject({ total: 10, items: ['a', 'b'] });
    expect((await db.collection('orders').findOne({ _id: 1 as never }))?.nested).toBeUndefined();
  });

  it('batches aggregation cursors', async () => {
    await db.collection('many').insertMany(Array.from({ length: 230 }, (_, i) => ({ i })));
    const docs = await db
      .collection('many')
      .aggregate([{ $sort: { i: -1 } }], { batchSize: 50 })
      .toArray();
    expect(docs).toHaveLength(230);
    expect(docs[0].i).toBe(229);
  });

  it('rejects unknown stages and expressions', async () => {
    await expect(
      db
        .collection('orders')
        .aggregate([{ $frobnicate: {} }])
        .toArray(),
    ).rejects.toMatchObject({ code: 40324 });
    await expect(
      db
        .collection('orders')
        .aggregate([{ $project: { x: { $frob: 1 } } }])
        .toArray(),
    ).rejects.toMatchObject({
      code: 168,
    });
  });
});
