import mongoose, { Schema, type Connection } from 'mongoose';
import { startTarget, type Target } from './target.js';

describe('conformance: Mongoose', () => {
  let target: Target;
  let conn: Connection;
  beforeAll(async () => {
    target = await startTarget('mongoose');
    conn = await mongoose
      .createConnection(target.uri, { dbName: target.dbName, serverSelectionTimeoutMS: 5000 })
      .asPromise();
  });
  afterAll(async () => {
    await conn.close();
    await target.stop();
  });

  const authorSchema = new Schema(
    { name: { type: String, required: true, unique: true }, age: Number, tags: [String] },
    { timestamps: true },
  );
  const postSchema = new Schema({
    title: String,
    author: { type: Schema.Types.ObjectId, ref: 'Author' },
    score: { type: Number, default: 0 },
  });
  postSchema.index({ author: 1, title: 1 }, { unique: true });

  const models = () => ({
    Author: conn.models.Author ?? conn.model('Author', authorSchema),
    Post: conn.models.Post ?? conn.model('Post', postSchema),
  });

  it('creates collections and builds schema indexes at init, and syncIndexes is a no-op after', async () => {
    const { Author, Post } = models();
    await Author.init();
    await Post.init();
    expect((await Author.listIndexes()).map((i) => i.name)).toEqual(['_id_', 'name_1']);
    expect((await Post.listIndexes()).map((i) => i.name)).toEqual(['_id_', 'author_1_title_1']);
    expect(await Author.syncIndexes()).toEqual([]);
    expect(await Author.diffIndexes()).toEqual({ toDrop: [], toCreate: [] });
    const names = (await conn.listCollections()).map((c) => c.name).sort();
    expect(names).toEqual(expect.arrayContaining(['authors', 'posts']));
  });

  it('runs model CRUD with timestamps, lean reads and query helpers', async () => {
    const { Author } = models();
    const ann = await Author.create({ name: 'ann', age: 30, tags: ['x'] });
    expect(ann.createdAt).toBeInstanceOf(Date);
    await Author.insertMany([
      { name: 'bo', age: 20 },
      { name: 'cy', age: 40 },
    ]);
    const found = await Author.find({ age: { $gte: 25 } })
      .sort({ age: -1 })
      .select('name age')
      .lean();
    expect(found.map((a) => a.name)).toEqual(['cy', 'ann']);
    expect((await Author.findById(ann._id))?.name).toBe('ann');
    ann.age = 31;
    ann.tags.push('y');
    await ann.save();
    expect(await Author.findOne({ name: 'ann' }).lean()).toMatchObject({ age: 31, tags: ['x', 'y'], __v: 1 });
    const upd = await Author.updateMany({ age: { $lt: 35 } }, { $inc: { age: 1 } });
    expect(upd.modifiedCount).toBe(2);
    const fa = await Author.findOneAndUpdate(
      { name: 'dee' },
      { $set: { age: 50 } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    expect(fa).toMatchObject({ name: 'dee', age: 50 });
    expect(await Author.countDocuments()).toBe(4);
    expect(await Author.estimatedDocumentCount()).toBe(4);
    expect((await Author.distinct('name')).sort()).toEqual(['ann', 'bo', 'cy', 'dee']);
    expect(await Author.exists({ name: 'bo' })).toBeTruthy();
    await Author.deleteOne({ name: 'dee' });
    expect(await Author.exists({ name: 'dee' })).toBeNull();
  });

  it('turns duplicate keys into MongoServerError 11000 with keyValue', async () => {
    const { Author, Post } = models();
    await expect(Author.create({ name: 'ann' })).rejects.toMatchObject({ code: 11000, keyValue: { name: 'ann' } });
    const ann = await Author.findOne({ name: 'ann' });
    await Post.create({ title: 'one', author: ann!._id });
    await expect(Post.create({ title: 'one', author: ann!._id })).rejects.toMatchObject({
      code: 11000,
      keyPattern: { author: 1, title: 1 },
    });
  });

  it('populates references and aggregates', async () => {
    const { Author, Post } = models();
    const bo = await Author.findOne({ name: 'bo' });
    await Post.create([
      { title: 'two', author: bo!._id, score: 3 },
      { title: 'three', author: bo!._id, score: 4 },
    ]);
    const posts = await Post.find({ author: bo!._id }).populate('author').sort({ title: 1 }).lean();
    expect(posts.map((p) => [(p.author as unknown as { name: string }).name, p.title])).toEqual([
      ['bo', 'three'],
      ['bo', 'two'],
    ]);
    const totals = await Post.aggregate([
      { $group: { _id: '$author', score: { $sum: '$score' } } },
      { $sort: { score: -1 } },
    ]);
    expect(totals[0]).toEqual({ _id: bo!._id, score: 7 });
  });

  it('commits with connection.transaction and rolls back when the work throws', async () => {
    const { Author } = models();
    await conn.transaction(async (session) => {
      await Author.create([{ name: 'tx1' }], { session });
      await Author.updateOne({ name: 'ann' }, { $set: { age: 99 } }, { session });
      expect(await Author.countDocuments({ name: 'tx1' })).toBe(0);
      expect(await Author.countDocuments({ name: 'tx1' }).session(session)).toBe(1);
    });
    expect(await Author.countDocuments({ name: 'tx1' })).toBe(1);
    expect((await Author.findOne({ name: 'ann' }).lean())?.age).toBe(99);
    await expect(
      conn.transaction(async (session) => {
        await Author.create([{ name: 'tx2' }], { session });
        await Author.deleteOne({ name: 'bo' }, { session });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await Author.countDocuments({ name: { $in: ['tx2', 'bo'] } })).toBe(1);
    await expect(
      conn.transaction(async (session) => {
        await Author.create([{ name: 'tx3' }], { session });
        await Author.create([{ name: 'ann' }], { session });
      }),
    ).rejects.toMatchObject({ code: 11000 });
    expect(await Author.countDocuments({ name: 'tx3' })).toBe(0);
  });

  it('retries conflicting Mongoose transactions until all of them commit', async () => {
    const Counter = conn.models.Counter ?? conn.model('Counter', new Schema({ _id: String, n: Number }));
    await Counter.create({ _id: 'c', n: 0 });
    await Promise.all(
      Array.from({ length: 4 }, () =>
        conn.transaction(async (session) => {
          const doc = await Counter.findById('c').session(session);
          doc!.n = (doc!.n ?? 0) + 1;
          await doc!.save({ session });
        }),
      ),
    );
    expect((await Counter.findById('c').lean())?.n).toBe(4);
  });
});
