import { Binary, Decimal128, Long, MongoServerError, ObjectId, type Collection, type Db, type Document } from 'mongodb';
import { connectDriver } from './target.js';

/** Documents of any shape, _id of any type. */
type Loose = any;

describe('conformance: CRUD through the driver', () => {
  let db: Db;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await connectDriver('crud'));
  });
  afterAll(() => close());

  const fresh = async (name: string, docs: Document[] = []): Promise<Collection<Loose>> => {
    const c = db.collection<Loose>(name);
    await c.drop().catch(() => undefined);
    if (docs.length) await c.insertMany(docs);
    return c;
  };

  it('inserts, finds, updates and deletes', async () => {
    const c = await fresh('basic');
    const { insertedId } = await c.insertOne({ name: 'ann', age: 30 });
    expect(insertedId).toBeInstanceOf(ObjectId);
    expect(await c.findOne({ _id: insertedId })).toEqual({ _id: insertedId, name: 'ann', age: 30 });
    const upd = await c.updateOne({ name: 'ann' }, { $set: { age: 31 } });
    expect(upd).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    const same = await c.updateOne({ name: 'ann' }, { $set: { age: 31 } });
    expect(same).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
    expect((await c.findOne({ name: 'ann' }))?.age).toBe(31);
    expect((await c.deleteOne({ name: 'ann' })).deletedCount).toBe(1);
    expect(await c.countDocuments()).toBe(0);
  });

  it('keeps BSON types intact on a round trip', async () => {
    const c = await fresh('types');
    const doc = {
      _id: new ObjectId(),
      when: new Date('2024-01-02T03:04:05.678Z'),
      price: Decimal128.fromString('12.345'),
      big: Long.fromString('9007199254740993'),
      bin: new Binary(Buffer.from('hello')),
      nested: { list: [1, 'two', { three: 3 }], nul: null },
      flag: true,
      ratio: 0.25,
    };
    await c.insertOne(doc);
    const got = await c.findOne({ _id: doc._id }, { promoteLongs: false });
    expect(got?._id.equals(doc._id)).toBe(true);
    expect(got?.when).toEqual(doc.when);
    expect(got?.price).toBeInstanceOf(Decimal128);
    expect(got?.price.toString()).toBe('12.345');
    expect(Long.isLong(got?.big) && got?.big.toString()).toBe('9007199254740993');
    expect(Buffer.from(got?.bin.buffer).toString()).toBe('hello');
    expect(got?.nested).toEqual(doc.nested);
    expect(got?.ratio).toBe(0.25);
    // ObjectId and Date equality in filters
    expect(await c.countDocuments({ _id: new ObjectId(doc._id.toHexString()) })).toBe(1);
    expect(await c.countDocuments({ when: new Date('2024-01-02T03:04:05.678Z') })).toBe(1);
    expect(await c.countDocuments({ when: { $gt: new Date('2024-01-01') } })).toBe(1);
  });

  it('evaluates query operators', async () => {
    const c = await fresh('ops', [
      {
        _id: 1,
        n: 5,
        tags: ['a', 'b'],
        s: 'Apple',
        sub: { x: 1 },
        items: [
          { k: 'p', q: 2 },
          { k: 'r', q: 9 },
        ],
      },
      { _id: 2, n: 10, tags: ['b'], s: 'banana', sub: { x: 2 } },
      { _id: 3, n: 15, s: 'cherry', items: [{ k: 'p', q: 7 }] },
    ]);
    const ids = async (filter: Document) => (await c.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
    expect(await ids({ n: { $gt: 5, $lte: 15 } })).toEqual([2, 3]);
    expect(await ids({ n: { $in: [5, 15] } })).toEqual([1, 3]);
    expect(await ids({ n: { $nin: [5, 15] } })).toEqual([2]);
    expect(await ids({ tags: 'b' })).toEqual([1, 2]);
    expect(await ids({ tags: { $all: ['a', 'b'] } })).toEqual([1]);
    expect(await ids({ tags: { $size: 1 } })).toEqual([2]);
    expect(await ids({ tags: { $exists: false } })).toEqual([3]);
    expect(await ids({ s: { $regex: '^b' } })).toEqual([2]);
    expect(await ids({ s: /^a/i })).toEqual([1]);
    expect(await ids({ 'sub.x': 2 })).toEqual([2]);
    expect(await ids({ $or: [{ n: 5 }, { s: 'cherry' }] })).toEqual([1, 3]);
    expect(await ids({ $and: [{ n: { $gte: 10 } }, { tags: { $exists: true } }] })).toEqual([2]);
    expect(await ids({ n: { $not: { $gt: 5 } } })).toEqual([1]);
    expect(await ids({ $nor: [{ n: 5 }, { n: 10 }] })).toEqual([3]);
    expect(await ids({ items: { $elemMatch: { k: 'p', q: { $gt: 5 } } } })).toEqual([3]);
    expect(await ids({ 'items.q': 9 })).toEqual([1]);
    expect(await ids({ $expr: { $gt: ['$n', 7] } })).toEqual([2, 3]);
    expect(await ids({ n: { $type: 'number' } })).toEqual([1, 2, 3]);
    expect(await ids({ n: { $mod: [10, 0] } })).toEqual([2]);
  });

  it('applies update operators, positional updates and arrayFilters', async () => {
    const c = await fresh('updates', [
      {
        _id: 1,
        n: 1,
        tags: ['a'],
        grades: [80, 95, 70],
        items: [
          { k: 'x', v: 1 },
          { k: 'y', v: 2 },
        ],
        old: 1,
      },
    ]);
    await c.updateOne({ _id: 1 }, {
      $inc: { n: 2 },
      $push: { tags: 'b' },
      $addToSet: { set: 'z' },
      $unset: { old: '' },
      $set: { 'deep.a.b': 1 },
      $mul: { m: 3 },
    } as Document);
    await c.updateOne({ _id: 1 }, {
      $addToSet: { set: 'z' },
      $pull: { tags: 'a' },
      $max: { n: 10 },
      $min: { low: 4 },
    } as Document);
    await c.updateOne({ _id: 1, 'items.k': 'y' }, { $set: { 'items.$.v': 20 } });
    await c.updateOne({ _id: 1 }, { $set: { 'grades.$[g]': 100 } }, { arrayFilters: [{ g: { $gte: 90 } }] });
    await c.updateOne({ _id: 1 }, { $rename: { low: 'high' }, $currentDate: { touched: true } });
    const d = await c.findOne({ _id: 1 });
    expect(d).toMatchObject({
      n: 10,
      tags: ['b'],
      set: ['z'],
      deep: { a: { b: 1 } },
      m: 0,
      high: 4,
      grades: [80, 100, 70],
    });
    expect(d?.items).toEqual([
      { k: 'x', v: 1 },
      { k: 'y', v: 20 },
    ]);
    expect(d?.old).toBeUndefined();
    expect(d?.touched).toBeInstanceOf(Date);
    await c.updateOne({ _id: 1 }, { $push: { stack: { $each: [3, 1, 2], $sort: 1, $slice: 2 } } } as Document);
    expect((await c.findOne({ _id: 1 }))?.stack).toEqual([1, 2]);
    const many = await c.updateMany({}, { $set: { all: true } });
    expect(many.matchedCount).toBe(1);
  });

  it('replaces whole documents, keeping _id', async () => {
    const c = await fresh('replace', [{ _id: 1, a: 1, b: 2 }]);
    const r = await c.replaceOne({ _id: 1 }, { c: 3 });
    expect(r.modifiedCount).toBe(1);
    expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, c: 3 });
    await expect(c.replaceOne({ _id: 1 }, { _id: 2, c: 3 })).rejects.toMatchObject({ code: 66 });
    await expect(c.updateOne({ _id: 1 }, { $set: { _id: 5 } })).rejects.toMatchObject({ code: 66 });
  });

  it('upserts with updates and with replacements', async () => {
    const c = await fresh('upserts');
    const r1 = await c.updateOne(
      { email: 'a@x', tier: { $eq: 'gold' } },
      { $set: { n: 1 }, $setOnInsert: { created: true } },
      { upsert: true },
    );
    expect(r1.upsertedCount).toBe(1);
    expect(await c.findOne({ _id: r1.upsertedId! })).toMatchObject({ email: 'a@x', tier: 'gold', n: 1, created: true });
    const r2 = await c.updateOne(
      { email: 'a@x' },
      { $set: { n: 2 }, $setOnInsert: { created: false } },
      { upsert: true },
    );
    expect(r2).toMatchObject({ matchedCount: 1, upsertedCount: 0 });
    expect(await c.findOne({ email: 'a@x' })).toMatchObject({ n: 2, created: true });
    const r3 = await c.replaceOne({ _id: 'fixed' as never }, { v: 1 }, { upsert: true });
    expect(r3.upsertedId).toBe('fixed');
    const r4 = await c.updateMany({ kind: 'none' }, { $inc: { k: 1 } }, { upsert: true });
    expect(r4.upsertedCount).toBe(1);
    expect(await c.findOne({ kind: 'none' })).toMatchObject({ k: 1 });
  });

  it('accepts _id in $set and $setOnInsert when it keeps the value, and refuses a change (66)', async () => {
    const c = await fresh('same-id');
    const up = await c.updateOne({ _id: 'k1' }, { $setOnInsert: { _id: 'k1', a: 1 } }, { upsert: true });
    expect(up.upsertedId).toBe('k1');
    expect(await c.updateOne({ _id: 'k1' }, { $set: { _id: 'k1', b: 2 } })).toMatchObject({
      matchedCount: 1,
      modifiedCount: 1,
    });
    expect(await c.findOne({ _id: 'k1' })).toEqual({ _id: 'k1', a: 1, b: 2 });
    await expect(c.updateOne({ _id: 'k1' }, { $set: { _id: 'k2' } })).rejects.toMatchObject({ code: 66 });
  });

  it('projects, sorts, skips and limits', async () => {
    const c = await fresh('proj', [
      { _id: 1, a: 3, b: { c: 1, d: 2 }, arr: [1, 2, 3, 4] },
      { _id: 2, a: 1, b: { c: 2, d: 2 }, arr: [5] },
      { _id: 3, a: 2, b: { c: 3, d: 1 } },
    ]);
    expect(
      await c
        .find({}, { projection: { a: 1 } })
        .sort({ a: 1 })
        .toArray(),
    ).toEqual([
      { _id: 2, a: 1 },
      { _id: 3, a: 2 },
      { _id: 1, a: 3 },
    ]);
    expect(await c.find({ _id: 1 }, { projection: { _id: 0, 'b.c': 1 } }).toArray()).toEqual([{ b: { c: 1 } }]);
    expect(await c.find({ _id: 1 }, { projection: { b: 0, arr: 0 } }).toArray()).toEqual([{ _id: 1, a: 3 }]);
    expect(await c.find({ _id: 1 }, { projection: { arr: { $slice: 2 } } }).toArray()).toEqual([
      { _id: 1, a: 3, b: { c: 1, d: 2 }, arr: [1, 2] },
    ]);
    expect((await c.find().sort({ 'b.d': 1, a: -1 }).toArray()).map((d) => d._id)).toEqual([3, 1, 2]);
    expect((await c.find().sort({ a: -1 }).skip(1).limit(1).toArray()).map((d) => d._id)).toEqual([3]);
    expect((await c.find().limit(2).toArray()).length).toBe(2);
  });

  it('streams a result over several batches with getMore, and kills cursors', async () => {
    const c = await fresh(
      'cursor',
      Array.from({ length: 250 }, (_, i) => ({ _id: i, v: i })),
    );
    const all = await c.find().sort({ _id: 1 }).batchSize(40).toArray();
    expect(all.map((d) => d._id)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    const cursor = c.find({}, { batchSize: 10 });
    await cursor.next();
    await cursor.close();
    // the default first batch is 101 documents; the rest come by getMore
    const reply = await db.command({ find: 'cursor', filter: {} });
    expect(reply.cursor.firstBatch).toHaveLength(101);
    const more = await db.command({ getMore: reply.cursor.id, collection: 'cursor', batchSize: 100 });
    expect(more.cursor.nextBatch).toHaveLength(100);
    const killed = await db.command({ killCursors: 'cursor', cursors: [reply.cursor.id] });
    expect(killed.cursorsKilled).toHaveLength(1);
    await expect(db.command({ getMore: reply.cursor.id, collection: 'cursor' })).rejects.toMatchObject({ code: 43 });
    const single = await db.command({ find: 'cursor', filter: {}, batchSize: 5, singleBatch: true });
    expect(single.cursor.id.toString()).toBe('0');
  });

  it('counts, and finds distinct values', async () => {
    const c = await fresh('count', [
      { k: 'a', tags: ['x', 'y'] },
      { k: 'b', tags: ['y'] },
      { k: 'a', tags: [] },
    ]);
    expect(await c.countDocuments({ k: 'a' })).toBe(2);
    expect(await c.estimatedDocumentCount()).toBe(3);
    expect((await c.distinct('k')).sort()).toEqual(['a', 'b']);
    expect((await c.distinct('tags', { k: 'a' })).sort()).toEqual(['x', 'y']);
    expect((await db.command({ count: 'count', query: { k: 'a' } })).n).toBe(2);
  });

  it('runs findAndModify: new, upsert, remove, fields, sort', async () => {
    const c = await fresh('fam', [
      { _id: 1, q: 'job', pri: 1 },
      { _id: 2, q: 'job', pri: 5 },
    ]);
    const top = await c.findOneAndUpdate(
      { q: 'job' },
      { $set: { taken: true } },
      { sort: { pri: -1 }, returnDocument: 'before' },
    );
    expect(top).toEqual({ _id: 2, q: 'job', pri: 5 });
    const after = await c.findOneAndUpdate(
      { _id: 1 },
      { $inc: { pri: 1 } },
      { returnDocument: 'after', projection: { pri: 1 } },
    );
    expect(after).toEqual({ _id: 1, pri: 2 });
    const up = await c.findOneAndUpdate({ _id: 9 }, { $set: { q: 'new' } }, { upsert: true, returnDocument: 'after' });
    expect(up).toEqual({ _id: 9, q: 'new' });
    const none = await c.findOneAndUpdate({ _id: 10 }, { $set: { q: 'x' } });
    expect(none).toBeNull();
    const gone = await c.findOneAndDelete({ q: 'job' }, { sort: { pri: 1 } });
    expect(gone?._id).toBe(1);
    const rep = await c.findOneAndReplace({ _id: 2 }, { fresh: 1 }, { returnDocument: 'after' });
    expect(rep).toEqual({ _id: 2, fresh: 1 });
    const raw = await db.command({
      findAndModify: 'fam',
      query: { _id: 77 },
      update: { $set: { a: 1 } },
      upsert: true,
      new: false,
    });
    expect(raw.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false, upserted: 77 });
    expect(raw.value).toBeNull();
  });

  it('deletes with limit 1 and limit 0', async () => {
    const c = await fresh('del', [{ k: 1 }, { k: 1 }, { k: 1 }, { k: 2 }]);
    expect((await c.deleteOne({ k: 1 })).deletedCount).toBe(1);
    expect((await c.deleteMany({ k: 1 })).deletedCount).toBe(2);
    expect(await c.countDocuments()).toBe(1);
  });

  it('reports ordered and unordered bulk write errors', async () => {
    const c = await fresh('bulk');
    await expect(c.insertMany([{ _id: 1 }, { _id: 1 }, { _id: 2 }] as never[])).rejects.toMatchObject({ code: 11000 });
    expect(await c.countDocuments()).toBe(1);
    const err = await c
      .insertMany([{ _id: 1 }, { _id: 3 }, { _id: 3 }, { _id: 4 }] as never[], { ordered: false })
      .catch((e) => e);
    expect(err.writeErrors.map((e: { index: number }) => e.index)).toEqual([0, 2]);
    expect(await c.countDocuments()).toBe(3);
    const res = await c.bulkWrite([
      { insertOne: { document: { _id: 10 } } },
      { updateOne: { filter: { _id: 10 }, update: { $set: { a: 1 } } } },
      { deleteOne: { filter: { _id: 3 } } },
      { replaceOne: { filter: { _id: 11 }, replacement: { b: 1 }, upsert: true } },
    ] as never[]);
    expect(res).toMatchObject({ insertedCount: 1, modifiedCount: 1, deletedCount: 1, upsertedCount: 1 });
  });

  it('answers unknown commands with CommandNotFound (59)', async () => {
    const err = await db.command({ frobnicate: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 59, codeName: 'CommandNotFound' });
    expect(err.message).toContain("no such command: 'frobnicate'");
  });

  it('rejects unknown query and update operators with MongoDB errors', async () => {
    const c = await fresh('badops', [{ a: 1 }]);
    await expect(c.find({ $foo: 1 } as Document).toArray()).rejects.toMatchObject({ code: 2, codeName: 'BadValue' });
    await expect(c.find({ a: { $foo: 1 } }).toArray()).rejects.toMatchObject({ code: 2 });
    const upd = await c.updateOne({}, { $foo: { a: 1 } } as Document).catch((e) => e);
    expect(upd).toMatchObject({ code: 9, codeName: 'FailedToParse' });
    expect(upd.message).toMatch(/Unknown modifier: \$foo/);
    await expect(c.updateOne({}, { $set: { a: 2 }, b: 1 } as Document)).rejects.toBeInstanceOf(Error);
    await expect(c.deleteMany({ $bar: 1 } as Document)).rejects.toMatchObject({ code: 2 });
    expect(await c.findOne({})).toMatchObject({ a: 1 });
  });

  it('creates, lists, renames and drops collections and databases', async () => {
    await db.createCollection('made');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain('made');
    const full = await db.listCollections({ name: 'made' }).toArray();
    expect(full[0]).toMatchObject({ name: 'made', type: 'collection' });
    await db.collection('made').insertOne({ x: 1 });
    await db.renameCollection('made', 'renamed');
    expect(await db.collection('renamed').countDocuments()).toBe(1);
    expect(await db.collection('renamed').drop()).toBe(true);
    const dbs = await db.admin().listDatabases();
    expect(dbs.databases.map((d) => d.name)).toContain(db.databaseName);
  });
});
