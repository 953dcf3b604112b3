import type { Query } from 'mingo/query';
import { Codes, MongoCommandError } from '../errors.js';
import { keyOf, renderKey, valueAt, valuesAt, type Doc } from './keys.js';
import { newQuery } from './mingo-query.js';

export interface IndexSpec extends Doc {
  v?: number;
  key: Record<string, unknown>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
}

/** Compound keys of multikey documents multiply; past this many a document is refused. */
const MAX_KEYS_PER_DOC = 10_000;

/**
 * A secondary index: a hash map from the index key of each document to the ids of the documents
 * holding it. It answers equality lookups only (no ranges), which is all the planner asks of it.
 */
export class Index {
  readonly fields: string[];
  /** text, 2d, 2dsphere, geoHaystack: accepted and listed, but not maintained or used. */
  readonly special: boolean;
  private readonly entries = new Map<string, Set<string>>();
  private readonly partial?: Query;

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.special = Object.values(spec.key).some((v) => typeof v === 'string' && v !== 'hashed');
    if (spec.partialFilterExpression) this.partial = newQuery(spec.partialFilterExpression);
  }

  get name(): string {
    return this.spec.name;
  }
  get unique(): boolean {
    return this.spec.unique === true;
  }
  get isPartial(): boolean {
    return this.partial !== undefined;
  }
  get ttlField(): string | undefined {
    return typeof this.spec.expireAfterSeconds === 'number' && this.fields.length === 1 ? this.fields[0] : undefined;
  }

  /** The keys a document is stored under; empty when sparse/partial rules leave it out. */
  keysOf(doc: Doc): string[] {
    if (this.special) return [];
    if (this.partial && !this.partial.test(doc)) return [];
    const perField = this.fields.map((f) => valuesAt(doc, f));
    if (this.spec.sparse && perField.every((vs) => vs.length === 1 && vs[0] === undefined)) return [];
    let keys = [''];
    for (let i = 0; i < perField.length; i++) {
      const parts = [...new Set(perField[i].map(keyOf))];
      const next: string[] = [];
      for (const prefix of keys) for (const p of parts) next.push(i === 0 ? p : prefix + '\u0000' + p);
      if (next.length > MAX_KEYS_PER_DOC) {
        throw new MongoCommandError(Codes.CannotCreateIndex, `too many index keys for ${this.name}`);
      }
      keys = next;
    }
    return keys;
  }

  /** The key an equality query on every field of the index looks up. */
  static compose(parts: string[]): string {
    return parts.join('\u0000');
  }

  add(id: string, doc: Doc): void {
    for (const k of this.keysOf(doc)) {
      let ids = this.entries.get(k);
      if (!ids) this.entries.set(k, (ids = new Set()));
      ids.add(id);
    }
  }

  remove(id: string, doc: Doc): void {
    for (const k of this.keysOf(doc)) {
      const ids = this.entries.get(k);
      if (!ids) continue;
      ids.delete(id);
      if (ids.size === 0) this.entries.delete(k);
    }
  }

  lookup(key: string): ReadonlySet<string> | undefined {
    return this.entries.get(key);
  }

  clear(): void {
    this.entries.clear();
  }

  keyValue(doc: Doc): Doc {
    return Object.fromEntries(this.fields.map((f) => [f, valueAt(doc, f) ?? null]));
  }

  duplicateKeyError(ns: string, doc: Doc): MongoCommandError {
    return duplicateKey(ns, this.name, this.spec.key, this.keyValue(doc));
  }
}

export function duplicateKey(ns: string, indexName: string, keyPattern: Doc, keyValue: Doc): MongoCommandError {
  return new MongoCommandError(
    Codes.DuplicateKey,
    `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: ${renderKey(keyValue)}`,
    { keyPattern, keyValue },
  );
}

export function defaultIndexName(key: Record<string, unknown>): string {
  return Object.entries(key)
    .map(([f, d]) => `${f}_${String(d)}`)
    .join('_');
}

/** Validates a createIndexes entry and returns it as it will be stored and listed. */
export function normaliseSpec(raw: Doc): IndexSpec {
  const key = raw.key as Record<string, unknown> | undefined;
  if (!key || typeof key !== 'object' || Array.isArray(key) || Object.keys(key).length === 0) {
    throw new MongoCommandError(
      Codes.CannotCreateIndex,
      "Error in specification: the 'key' field must be a non-empty object",
    );
  }
  for (const [f, d] of Object.entries(key)) {
    const ok = d === 1 || d === -1 || (typeof d === 'number' && d !== 0) || typeof d === 'string';
    if (!ok)
      throw new MongoCommandError(
        Codes.CannotCreateIndex,
        `Error in specification: bad index key pattern for field ${f}`,
      );
  }
  const name = typeof raw.name === 'string' && raw.name ? raw.name : defaultIndexName(key);
  const spec: IndexSpec = { v: 2, key, name };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'key' || k === 'name' || k === 'v' || k === 'ns' || k === 'background') continue;
    spec[k] = v;
  }
  return spec;
}

const COMPARED_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'collation', 'hidden'];

/** True when two specs describe the same index (name aside), as createIndexes decides "already exists". */
export function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  const norm = (s: IndexSpec) =>
    JSON.stringify(COMPARED_OPTIONS.map((o) => (o === 'unique' || o === 'sparse' ? s[o] === true : (s[o] ?? null))));
  return norm(a) === norm(b);
}
