import { UUID } from 'bson';
import { Codes, MongoCommandError, writeConflict } from '../errors.js';
import { Index, duplicateKey, sameOptions, type IndexSpec } from './indexes.js';
import type { Doc } from './keys.js';
import { Blocked, type Txn } from './transactions.js';

interface DocRecord {
  doc: Doc;
  /** Engine version of the last committed write, for write-conflict checks. */
  version: number;
}

export interface ScanStats {
  docsExamined: number;
  keysExamined: number;
}

export const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/**
 * Committed documents by id key (see keys.ts), in natural insertion order, with their secondary
 * indexes and the locks of open transactions. Stored documents are never mutated in place: a
 * write replaces the object, so a document handed to a cursor stays as it was.
 */
export class Collection {
  readonly docs = new Map<string, DocRecord>();
  readonly indexes = new Map<string, Index>();
  readonly uuid = new UUID();
  readonly stats: ScanStats = { docsExamined: 0, keysExamined: 0 };
  dropped = false;
  private readonly locks = new Map<string, Txn>();
  private readonly reservedKeys = new Map<string, Txn>();
  /**
   * Earlier committed states kept for open transactions' snapshots: for each id, the state each
   * commit replaced (null: did not exist) and the version that replaced it.
   */
  private readonly history = new Map<string, { until: number; doc: Doc | null }[]>();

  constructor(
    readonly db: string,
    readonly name: string,
    readonly options: Doc,
    private readonly tick: () => number,
    private readonly snapshotsOpen: () => boolean = () => false,
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** The document as `txn` (its snapshot plus its own writes) or a reader outside any transaction sees it. */
  get(id: string, txn?: Txn): Doc | undefined {
    if (!txn) return this.docs.get(id)?.doc;
    const mine = txn.writesFor(this);
    if (mine?.has(id)) return mine.get(id) ?? undefined;
    return this.atSnapshot(id, txn.startVersion);
  }

  private atSnapshot(id: string, version: number): Doc | undefined {
    for (const e of this.history.get(id) ?? []) if (e.until > version) return e.doc ?? undefined;
    return this.docs.get(id)?.doc;
  }

  /** Ids whose committed state changed while snapshots were open: candidates an index may miss. */
  historyIds(): IterableIterator<string> {
    return this.history.keys();
  }

  *visible(txn?: Txn): IterableIterator<[string, Doc]> {
    const mine = txn?.writesFor(this);
    if (!txn || ((!mine || mine.size === 0) && this.history.size === 0)) {
      for (const [id, rec] of this.docs) yield [id, rec.doc];
      return;
    }
    for (const id of this.docs.keys()) {
      const doc = this.get(id, txn);
      if (doc) yield [id, doc];
    }
    const extra = new Set([...this.history.keys(), ...(mine?.keys() ?? [])]);
    for (const id of extra) {
      if (this.docs.has(id)) continue;
      const doc = this.get(id, txn);
      if (doc) yield [id, doc];
    }
  }

  count(txn?: Txn): number {
    if (!txn || (!txn.writesFor(this) && this.history.size === 0)) return this.docs.size;
    let n = 0;
    for (const _ of this.visible(txn)) n++;
    return n;
  }

  /** Drops snapshot history no open transaction can read any more (`oldest`: their oldest start). */
  prune(oldest: number | undefined): void {
    if (oldest === undefined) {
      this.history.clear();
      return;
    }
    for (const [id, entries] of this.history) {
      const kept = entries.filter((e) => e.until > oldest);
      if (kept.length === 0) this.history.delete(id);
      else if (kept.length !== entries.length) this.history.set(id, kept);
    }
  }

  private changedSince(id: string, version: number): boolean {
    if ((this.docs.get(id)?.version ?? 0) > version) return true;
    const h = this.history.get(id);
    return h !== undefined && h[h.length - 1].until > version;
  }

  /** Inserts a new document; an existing _id is a duplicate key. */
  insert(id: string, doc: Doc, txn?: Txn): void {
    const holder = this.locks.get(id);
    if (holder && holder !== txn) {
      if (txn) throw writeConflict();
      throw new Blocked(holder);
    }
    if (this.get(id, txn)) throw duplicateKey(this.ns, '_id_', { _id: 1 }, { _id: doc._id });
    this.write(id, doc, txn);
  }

  /** Inserts, replaces (`doc`) or deletes (`null`) one document, committed at once or inside `txn`. */
  write(id: string, doc: Doc | null, txn?: Txn): void {
    const holder = this.locks.get(id);
    if (!txn) {
      if (holder) throw new Blocked(holder);
      if (doc) this.checkUnique(id, doc);
      this.applyCommitted(id, doc, this.tick());
      return;
    }
    if (holder && holder !== txn) throw writeConflict();
    if (!holder && this.changedSince(id, txn.startVersion)) throw writeConflict();
    if (doc) this.checkUnique(id, doc, txn);
    this.locks.set(id, txn);
    txn.record(this, id, doc);
    if (doc) this.reserveKeys(doc, txn);
  }

  applyCommitted(id: string, doc: Doc | null, version: number): void {
    const old = this.docs.get(id);
    if (this.snapshotsOpen()) {
      let entries = this.history.get(id);
      if (!entries) this.history.set(id, (entries = []));
      entries.push({ until: version, doc: old?.doc ?? null });
    }
    if (old) for (const idx of this.indexes.values()) idx.remove(id, old.doc);
    if (!doc) {
      if (old) this.docs.delete(id);
      return;
    }
    for (const idx of this.indexes.values()) idx.add(id, doc);
    if (old) {
      old.doc = doc;
      old.version = version;
    } else {
      this.docs.set(id, { doc, version });
    }
  }

  isLocked(id: string): boolean {
    return this.locks.has(id);
  }

  release(id: string, txn: Txn): void {
    if (this.locks.get(id) === txn) this.locks.delete(id);
  }

  releaseKey(key: string, txn: Txn): void {
    if (this.reservedKeys.get(key) === txn) this.reservedKeys.delete(key);
  }

  private checkUnique(id: string, doc: Doc, txn?: Txn): void {
    const mine = txn?.writesFor(this);
    for (const idx of this.indexes.values()) {
      if (!idx.unique) continue;
      for (const k of idx.keysOf(doc)) {
        const reserver = this.reservedKeys.get(idx.name + '\u0001' + k);
        if (reserver && reserver !== txn) {
          if (txn) throw writeConflict();
          throw new Blocked(reserver);
        }
        for (const other of idx.lookup(k) ?? []) {
          if (other === id) continue;
          if (mine?.has(other)) {
            const theirs = mine.get(other);
            if (!theirs || !idx.keysOf(theirs).includes(k)) continue;
          } else {
            const lockHolder = this.locks.get(other);
            if (lockHolder && lockHolder !== txn) {
              if (txn) throw writeConflict();
              throw new Blocked(lockHolder);
            }
          }
          throw idx.duplicateKeyError(this.ns, doc);
        }
        if (mine) {
          for (const [wid, wdoc] of mine) {
            if (wid !== id && wdoc && idx.keysOf(wdoc).includes(k)) throw idx.duplicateKeyError(this.ns, doc);
          }
        }
      }
    }
  }

  private reserveKeys(doc: Doc, txn: Txn): void {
    for (const idx of this.indexes.values()) {
      if (!idx.unique) continue;
      for (const k of idx.keysOf(doc)) {
        const key = idx.name + '\u0001' + k;
        this.reservedKeys.set(key, txn);
        txn.reserved.push([this, key]);
      }
    }
  }

  /** Returns false when an identical index already exists. */
  createIndex(spec: IndexSpec): boolean {
    if (spec.name === '_id_' || JSON.stringify(spec.key) === '{"_id":1}') {
      if (spec.unique === false)
        throw new MongoCommandError(
          Codes.InvalidOptions,
          "The field 'unique' is not valid for an _id index specification",
        );
      return false;
    }
    const sameName = this.indexes.get(spec.name);
    const sameKey = [...this.indexes.values()].find((i) => JSON.stringify(i.spec.key) === JSON.stringify(spec.key));
    if (sameName) {
      if (JSON.stringify(sameName.spec.key) !== JSON.stringify(spec.key)) {
        throw new MongoCommandError(
          Codes.IndexKeySpecsConflict,
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`,
        );
      }
      if (sameOptions(sameName.spec, spec)) return false;
      throw new MongoCommandError(
        Codes.IndexOptionsConflict,
        `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameName.spec)}`,
      );
    }
    const samePartial =
      JSON.stringify(sameKey?.spec.partialFilterExpression) === JSON.stringify(spec.partialFilterExpression);
    if (sameKey && samePartial) {
      throw new MongoCommandError(
        Codes.IndexOptionsConflict,
        sameOptions(sameKey.spec, spec)
          ? `Index already exists with a different name: ${sameKey.name}`
          : `An equivalent index already exists with a different name and options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameKey.spec)}`,
      );
    }
    const idx = new Index(spec);
    for (const [id, rec] of this.docs) {
      if (idx.unique) {
        for (const k of idx.keysOf(rec.doc)) {
          const ids = idx.lookup(k);
          if (ids && ids.size > 0) throw duplicateKey(this.ns, spec.name, spec.key, idx.keyValue(rec.doc));
        }
      }
      idx.add(id, rec.doc);
    }
    this.indexes.set(spec.name, idx);
    return true;
  }

  dropIndex(name: string): void {
    this.indexes.delete(name);
  }

  listIndexes(): IndexSpec[] {
    return [ID_INDEX, ...[...this.indexes.values()].map((i) => i.spec)];
  }

  /** Removes every document (drop): open transactions' writes to it are discarded at their end. */
  clear(): void {
    this.docs.clear();
    this.history.clear();
    for (const idx of this.indexes.values()) idx.clear();
  }
}
