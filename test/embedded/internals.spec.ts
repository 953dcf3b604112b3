import { ObjectId } from 'bson';
import { MongoCommandError } from '../../src/platform/database/embedded/errors.js';
import { CursorRegistry } from '../../src/platform/database/embedded/storage/cursors.js';
import { Engine } from '../../src/platform/database/embedded/storage/engine.js';
import { keyOf, valuesAt } from '../../src/platform/database/embedded/storage/keys.js';
import { equalities, plan } from '../../src/platform/database/embedded/storage/planner.js';
import { Blocked } from '../../src/platform/database/embedded/storage/transactions.js';

describe('embedded mongo internals', () => {
  let engine: Engine;
  beforeEach(() => {
    engine = new Engine(undefined, 60_000);
  });
  afterEach(() => engine.close());

  it('times cursors out after ten idle minutes', () => {
    const cursors = new CursorRegistry();
    const docs = Array.from({ length: 30 }, (_, i) => ({ i }));
    const first = cursors.open('db.c', docs, 10);
    expect(first.firstBatch).toHaveLength(10);
    expect(cursors.getMore(first.id, 'db.c', 10).nextBatch).toHaveLength(10);
    cursors.sweep(Date.now() + 9 * 60_000);
    expect(cursors.size).toBe(1);
    cursors.sweep(Date.now() + 11 * 60_000);
    expect(cursors.size).toBe(0);
    expect(() => cursors.getMore(first.id, 'db.c')).toThrow(MongoCommandError);
  });

  it('aborts a transaction idle past its lifetime and releases its locks', () => {
    const { coll } = engine.ensure('db', 'c');
    coll.insert(keyOf(1), { _id: 1, v: 0 });
    const session = engine.sessions.get('s1');
    const txn = engine.beginTxn(1);
    session.txn = txn;
    session.txnNumber = 1;
    coll.write(keyOf(1), { _id: 1, v: 1 }, txn);
    expect(() => coll.write(keyOf(1), { _id: 1, v: 2 })).toThrow(Blocked);
    txn.lastUsed = Date.now() - 61_000;
    engine.sweep();
    expect(txn.state).toBe('aborted');
    coll.write(keyOf(1), { _id: 1, v: 2 });
    expect(coll.get(keyOf(1))).toEqual({ _id: 1, v: 2 });
  });

  it('keeps snapshot history only while transactions are open', () => {
    const { coll } = engine.ensure('db', 'h');
    coll.insert(keyOf(1), { _id: 1, v: 0 });
    const txn = engine.beginTxn(1);
    coll.write(keyOf(1), { _id: 1, v: 1 });
    expect(coll.get(keyOf(1), txn)).toEqual({ _id: 1, v: 0 });
    expect([...coll.historyIds()]).toEqual([keyOf(1)]);
    txn.abort();
    expect([...coll.historyIds()]).toEqual([]);
  });

  it('plans _id and indexed equality lookups, and scans otherwise', () => {
    const { coll } = engine.ensure('db', 'p');
    coll.createIndex({ v: 2, key: { a: 1, b: 1 }, name: 'a_1_b_1' });
    for (let i = 0; i < 100; i++) coll.insert(keyOf(i), { _id: i, a: i % 10, b: 'x' });
    expect(plan(coll, { _id: { $in: [1, 2] } })).toMatchObject({ stage: 'IDHACK', keysExamined: 2 });
    expect(plan(coll, { a: 3, b: { $eq: 'x' } })).toMatchObject({
      stage: 'IXSCAN',
      indexName: 'a_1_b_1',
      keysExamined: 10,
    });
    expect(plan(coll, { a: 3 }).stage).toBe('COLLSCAN');
    expect([...equalities({ a: 1, b: { $in: [1, 2] }, $and: [{ c: 'x' }], d: { $gt: 1 } }).keys()]).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('derives index keys like MongoDB equality: ObjectId by value, arrays fanned out', () => {
    const id = new ObjectId();
    expect(keyOf(id)).toBe(keyOf(new ObjectId(id.toHexString())));
    expect(keyOf(1)).not.toBe(keyOf('1'));
    expect(keyOf(new Date(5))).toBe(keyOf(new Date(5)));
    expect(valuesAt({ a: [{ b: 1 }, { b: [2, 3] }] }, 'a.b')).toEqual([1, 2, 3]);
    expect(valuesAt({ a: 1 }, 'x.y')).toEqual([undefined]);
  });
});
