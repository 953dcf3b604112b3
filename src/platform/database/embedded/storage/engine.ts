import { Codes, MongoCommandError } from '../errors.js';
import { Collection } from './collection.js';
import { CursorRegistry } from './cursors.js';
import { valuesAt, type Doc } from './keys.js';
import { SessionRegistry, Txn } from './transactions.js';

const NAME_RE = /^[^\0$/\\. "]+$/;

/** All databases and collections of one server, its version clock, sessions and TTL sweep. */
export class Engine {
  readonly sessions = new SessionRegistry();
  readonly cursors = new CursorRegistry();
  private readonly dbs = new Map<string, Map<string, Collection>>();
  private version = 0;
  private readonly open = new Set<Txn>();
  /** The oldest open snapshot when history was last pruned (undefined: none was open). */
  private prunedAt: number | undefined;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly onError: (msg: string) => void = () => {},
    sweepEveryMs = 1000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  readonly tick = (): number => ++this.version;

  /** A transaction reading the snapshot of the current version. */
  beginTxn(txnNumber: number): Txn {
    const txn = new Txn(txnNumber, this.version, (t) => this.ended(t));
    this.open.add(txn);
    return txn;
  }

  private ended(txn: Txn): void {
    this.open.delete(txn);
    let oldest: number | undefined;
    for (const t of this.open) oldest = Math.min(oldest ?? t.startVersion, t.startVersion);
    // History entries become prunable only when the oldest open snapshot moves on (it never moves back):
    // while one transaction stays open (a client killed mid-transaction holds it for TXN_LIFETIME_MS),
    // re-scanning every collection's history at each other transaction's end was quadratic.
    if (oldest !== undefined && oldest === this.prunedAt) return;
    this.prunedAt = oldest;
    for (const colls of this.dbs.values()) for (const coll of colls.values()) coll.prune(oldest);
  }

  commit(txn: Txn): void {
    txn.commit(this.tick());
  }

  databaseNames(): string[] {
    return [...this.dbs.entries()].filter(([, colls]) => colls.size > 0).map(([name]) => name);
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  collection(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** The collection, created on first use as MongoDB does for writes and createIndexes. */
  ensure(db: string, name: string, options: Doc = {}): { coll: Collection; created: boolean } {
    const existing = this.collection(db, name);
    if (existing) return { coll: existing, created: false };
    validateNames(db, name);
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    const coll = new Collection(db, name, options, this.tick, () => this.open.size > 0);
    colls.set(name, coll);
    return { coll, created: true };
  }

  drop(db: string, name: string): Collection | undefined {
    const coll = this.collection(db, name);
    if (!coll) return undefined;
    coll.dropped = true;
    coll.clear();
    this.dbs.get(db)!.delete(name);
    return coll;
  }

  dropDatabase(db: string): void {
    for (const coll of this.collections(db)) this.drop(db, coll.name);
    this.dbs.delete(db);
  }

  rename(db: string, from: string, toDb: string, to: string): void {
    const coll = this.collection(db, from);
    if (!coll) throw new MongoCommandError(Codes.NamespaceNotFound, 'source namespace does not exist');
    this.drop(toDb, to);
    const { coll: target } = this.ensure(toDb, to, coll.options);
    for (const spec of coll.listIndexes().slice(1)) target.createIndex(spec);
    for (const [id, rec] of coll.docs) target.applyCommitted(id, rec.doc, this.tick());
    this.drop(db, from);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sessions.endAll();
    this.cursors.clear();
  }

  sweep(now = Date.now()): void {
    try {
      this.sessions.sweep(now);
      this.cursors.sweep(now);
      for (const colls of this.dbs.values()) for (const coll of colls.values()) this.expire(coll, now);
    } catch (err) {
      this.onError(`embedded mongo sweep failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  /** TTL: deletes documents whose indexed date (the earliest, for arrays) is older than expireAfterSeconds. */
  private expire(coll: Collection, now: number): void {
    for (const idx of coll.indexes.values()) {
      const field = idx.ttlField;
      if (!field) continue;
      const cutoff = now - Number(idx.spec.expireAfterSeconds) * 1000;
      const expired: string[] = [];
      const simple = !field.includes('.');
      for (const [id, rec] of coll.docs) {
        const v = simple ? rec.doc[field] : undefined;
        if (simple && v instanceof Date) {
          if (v.getTime() <= cutoff && !coll.isLocked(id)) expired.push(id);
          continue;
        }
        if (simple && !Array.isArray(v)) continue;
        const dates = valuesAt(rec.doc, field).filter((d): d is Date => d instanceof Date);
        if (dates.length && Math.min(...dates.map((d) => d.getTime())) <= cutoff && !coll.isLocked(id))
          expired.push(id);
      }
      for (const id of expired) coll.applyCommitted(id, null, this.tick());
    }
  }
}

function validateNames(db: string, name: string): void {
  if (!NAME_RE.test(db) || db.length > 64)
    throw new MongoCommandError(Codes.InvalidNamespace, `Invalid database name: '${db}'`);
  if (!name || name.includes('\0') || name.startsWith('system.') || name.includes('$')) {
    throw new MongoCommandError(Codes.InvalidNamespace, `Invalid collection name: ${name}`);
  }
}
