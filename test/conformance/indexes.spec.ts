import { MongoServerError, type Collection, type Db, type Document } from 'mongodb';
import { connectDriver, realMongo, type Target } from './target.js';

type Loose = any;

describe('conformance: indexes', () => {
  let db: Db;
  let target: Target;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, target, close } = await connectDriver('indexes'));
  });
  afterAll(() => close());

  const fresh = async (name: string): Promise<Collection<Loose>> => {
    const c = db.collection<Loose>(name);
    await c.drop().catch(() => undefined);
    return c;
  };

  it('enforces a unique index with E11000, keyPattern and keyValue', async () => {
    const c = await fresh('users');
    expect(await c.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
    await c.insertOne({ email: 'a@x.io' });
    const err = await c.insertOne({ email: 'a@x.io' }).catch((e) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(11000);
    expect(err.keyPattern).toEqual({ email: 1 });
    expect(err.keyValue).toEqual({ email: 'a@x.io' });
    expect(err.message).toMatch(
      new RegExp(
        `^E11000 duplicate key error collection: ${db.databaseName}\\.users index: email_1 dup key: \\{ email: "a@x\\.io" \\}`,
      ),
    );
    // an update into a taken key fails the same way, and changes nothing
    await c.insertOne({ email: 'b@x.io' });
    await expect(c.updateOne({ email: 'b@x.io' }, { $set: { email: 'a@x.io' } })).rejects.toMatchObject({
      code: 11000,
      keyValue: { email: 'a@x.io' },
    });
    expect(await c.countDocuments({ email: 'b@x.io' })).toBe(1);
    // findAndModify reports it as a command error
    const fam = await c.findOneAndUpdate({ email: 'b@x.io' }, { $set: { email: 'a@x.io' } }).catch((e) => e);
    expect(fam).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: 'a@x.io' } });
    // two documents without the field collide on null
    await c.insertOne({ other: 1 });
    await expect(c.insertOne({ other: 2 })).rejects.toMatchObject({ code: 11000, keyValue: { email: null } });
  });

  it('enforces _id uniqueness', async () => {
    const c = await fresh('ids');
    await c.insertOne({ _id: 'k' });
    await expect(c.insertOne({ _id: 'k' })).rejects.toMatchObject({
      code: 11000,
      keyPattern: { _id: 1 },
      keyValue: { _id: 'k' },
    });
  });

  it('enforces compound unique indexes on the combination', async () => {
    const c = await fresh('runs');
    await c.createIndex({ name: 1, fireAt: 1 }, { unique: true });
    const at = new Date('2025-01-01T00:00:00Z');
    await c.insertOne({ name: 'daily', fireAt: at });
    await c.insertOne({ name: 'daily', fireAt: new Date(at.getTime() + 1000) });
    await c.insertOne({ name: 'hourly', fireAt: at });
    const err = await c.insertOne({ name: 'daily', fireAt: at }).catch((e) => e);
    expect(err).toMatchObject({
      code: 11000,
      keyPattern: { name: 1, fireAt: 1 },
      keyValue: { name: 'daily', fireAt: at },
    });
    expect(err.message).toContain('index: name_1_fireAt_1 dup key: { name: "daily", fireAt: ');
  });

  it('reports duplicate keys of insertMany as write errors', async () => {
    const c = await fresh('bulk');
    await c.createIndex({ sku: 1 }, { unique: true });
    const err = await c
      .insertMany([{ sku: 1 }, { sku: 2 }, { sku: 1 }, { sku: 3 }], { ordered: false })
      .catch((e) => e);
    expect(err.code).toBe(11000);
    expect(err.writeErrors).toHaveLength(1);
    expect(err.writeErrors[0].index).toBe(2);
    expect(err.writeErrors[0].code).toBe(11000);
    const raw = await db.command({ insert: 'bulk', documents: [{ sku: 3 }] });
    expect(raw.writeErrors[0]).toMatchObject({ index: 0, code: 11000, keyPattern: { sku: 1 }, keyValue: { sku: 3 } });
    expect(await c.countDocuments()).toBe(3);
  });

  it('supports partial and sparse unique indexes', async () => {
    const c = await fresh('partial');
    await c.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await c.insertMany([
      { code: 'x', active: false },
      { code: 'x', active: false },
      { code: 'x', active: true },
    ]);
    await expect(c.insertOne({ code: 'x', active: true })).rejects.toMatchObject({ code: 11000 });
    const s = await fresh('sparse');
    await s.createIndex({ nick: 1 }, { unique: true, sparse: true });
    await s.insertMany([{ a: 1 }, { a: 2 }, { nick: 'n' }]);
    await expect(s.insertOne({ nick: 'n' })).rejects.toMatchObject({ code: 11000 });
  });

  it('lists, recreates idempotently and drops indexes', async () => {
    const c = await fresh('listing');
    await c.createIndex({ a: 1 });
    await c.createIndex({ a: 1 });
    await c.createIndex({ b: -1, c: 1 }, { name: 'bc', unique: true });
    await c.createIndex({ t: 1 }, { expireAfterSeconds: 3600 });
    const list = await c.listIndexes().toArray();
    expect(list.map((i) => i.name)).toEqual(['_id_', 'a_1', 'bc', 't_1']);
    expect(list.find((i) => i.name === 'bc')).toMatchObject({ key: { b: -1, c: 1 }, unique: true });
    expect(list.find((i) => i.name === 't_1')).toMatchObject({ expireAfterSeconds: 3600 });
    await expect(c.createIndex({ a: 1 }, { name: 'a_1', unique: true })).rejects.toMatchObject({ code: 85 });
    await expect(c.createIndex({ z: 1 }, { name: 'a_1' })).rejects.toMatchObject({ code: 86 });
    await c.dropIndex('bc');
    await expect(c.dropIndex('nope')).rejects.toMatchObject({ code: 27 });
    await expect(c.dropIndex('_id_')).rejects.toMatchObject({ code: 72 });
    await c.dropIndexes();
    expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    await expect(db.collection('never_made').listIndexes().toArray()).rejects.toMatchObject({ code: 26 });
  });

  it('refuses to build a unique index over duplicate data', async () => {
    const c = await fresh('dupdata');
    await c.insertMany([{ k: 1 }, { k: 1 }]);
    await expect(c.createIndex({ k: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
    expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });

  it('answers equality lookups from an index, not a scan (explain)', async () => {
    const c = await fresh('big');
    await c.createIndex({ ref: 1 });
    const n = 50_000;
    for (let i = 0; i < n; i += 10_000) {
      await c.insertMany(
        Array.from({ length: 10_000 }, (_, j) => ({ _id: i + j, ref: `r${i + j}`, group: (i + j) % 7 })),
      );
    }
    const byId = (await c.find({ _id: 41_234 }).explain('executionStats')) as Document;
    expect(byId.executionStats.nReturned).toBe(1);
    expect(byId.executionStats.totalDocsExamined).toBe(1);
    const byRef = (await c.find({ ref: 'r777' }).explain('executionStats')) as Document;
    expect(byRef.executionStats.nReturned).toBe(1);
    expect(byRef.executionStats.totalDocsExamined).toBe(1);
    expect(JSON.stringify(byRef.queryPlanner.winningPlan)).toContain('IXSCAN');
    const byIn = (await c.find({ _id: { $in: [1, 2, 3] } }).explain('executionStats')) as Document;
    expect(byIn.executionStats.totalDocsExamined).toBe(3);
    const scan = (await c.find({ group: 3 }).explain('executionStats')) as Document;
    expect(scan.executionStats.totalDocsExamined).toBe(n);
  });

  it.runIf(!realMongo)('counts examined documents in the storage layer (embedded stats hook)', async () => {
    const c = await fresh('hook');
    await c.createIndex({ k: 1 });
    await c.insertMany(Array.from({ length: 2000 }, (_, i) => ({ _id: i, k: i })));
    const before = target.embedded!.stats(db.databaseName, 'hook')!;
    await c.findOne({ _id: 1500 });
    await c.findOne({ k: 42 });
    const after = target.embedded!.stats(db.databaseName, 'hook')!;
    expect(after.docsExamined - before.docsExamined).toBe(2);
  });

  it('expires documents through a TTL index', async () => {
    const c = await fresh('ttl');
    await c.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await c.insertMany([
      { k: 'old', expiresAt: new Date(Date.now() - 60_000) },
      { k: 'future', expiresAt: new Date(Date.now() + 3_600_000) },
      { k: 'no-date', expiresAt: 'not a date' },
    ]);
    // The embedded sweep runs every second; a real server's TTL monitor every 60 s.
    const deadline = Date.now() + (realMongo ? 90_000 : 5_000);
    while ((await c.countDocuments({ k: 'old' })) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect((await c.find().sort({ k: 1 }).toArray()).map((d) => d.k)).toEqual(['future', 'no-date']);
  }, 100_000);
});
