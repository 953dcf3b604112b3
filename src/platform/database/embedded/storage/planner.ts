import type { Query } from 'mingo/query';
import { fromMingo } from '../errors.js';
import type { Collection } from './collection.js';
import { Index } from './indexes.js';
import { isIndexableScalar, keyOf, type Doc } from './keys.js';
import { newQuery } from './mingo-query.js';
import type { Txn } from './transactions.js';

export type PlanStage = 'IDHACK' | 'IXSCAN' | 'COLLSCAN';

export interface Plan {
  stage: PlanStage;
  indexName?: string;
  keyPattern?: Doc;
  /** Candidate ids from an index; absent for a collection scan. */
  ids?: Iterable<string>;
  /** For an IXSCAN: the index and the keys looked up, to test snapshot states the index no longer holds. */
  scan?: { index: Index; keys: ReadonlySet<string> };
  keysExamined: number;
}

export interface Selection {
  plan: Plan;
  matches: [string, Doc][];
  docsExamined: number;
}

const MAX_LOOKUPS = 1000;

export const MINGO_OPTIONS = { scriptEnabled: false } as const;

export function compileFilter(filter: Doc | undefined): Query {
  try {
    return newQuery(filter ?? {});
  } catch (err) {
    throw fromMingo(err);
  }
}

const isPlainObject = (v: unknown): v is Doc =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** Fields the filter pins to one or a few scalar values (`f: v`, `$eq`, `$in`, through `$and`). */
export function equalities(filter: Doc, out = new Map<string, unknown[]>()): Map<string, unknown[]> {
  for (const [field, cond] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainObject(sub)) equalities(sub, out);
      continue;
    }
    if (field.startsWith('$') || out.has(field)) continue;
    let values: unknown[] | undefined;
    if (isIndexableScalar(cond)) values = [cond];
    else if (isPlainObject(cond)) {
      if ('$eq' in cond && isIndexableScalar(cond.$eq)) values = [cond.$eq];
      else if (Array.isArray(cond.$in) && cond.$in.length <= MAX_LOOKUPS && cond.$in.every(isIndexableScalar)) {
        values = cond.$in;
      }
    }
    if (values) out.set(field, values);
  }
  return out;
}

/** Picks the _id lookup, else the equality index covering the most fields, else a scan. */
export function plan(coll: Collection, filter: Doc): Plan {
  const eq = equalities(filter);
  const idValues = eq.get('_id');
  if (idValues) {
    const ids = [...new Set(idValues.map(keyOf))];
    return { stage: 'IDHACK', indexName: '_id_', keyPattern: { _id: 1 }, ids, keysExamined: ids.length };
  }
  let best: { idx: Index; keys: string[] } | undefined;
  for (const idx of coll.indexes.values()) {
    if (idx.special || idx.isPartial || !idx.fields.every((f) => eq.has(f))) continue;
    if (best && best.idx.fields.length >= idx.fields.length) continue;
    let keys = [''];
    for (let i = 0; i < idx.fields.length && keys.length <= MAX_LOOKUPS; i++) {
      const parts = [...new Set(eq.get(idx.fields[i])!.map(keyOf))];
      keys = keys.flatMap((prefix) => parts.map((p) => (i === 0 ? p : Index.compose([prefix, p]))));
    }
    if (keys.length <= MAX_LOOKUPS) best = { idx, keys };
  }
  if (!best) return { stage: 'COLLSCAN', keysExamined: 0 };
  const ids = new Set<string>();
  let keysExamined = 0;
  for (const k of best.keys) {
    const hit = best.idx.lookup(k);
    if (!hit) continue;
    keysExamined += hit.size;
    for (const id of hit) ids.add(id);
  }
  return {
    stage: 'IXSCAN',
    indexName: best.idx.name,
    keyPattern: best.idx.spec.key,
    ids,
    scan: { index: best.idx, keys: new Set(best.keys) },
    keysExamined,
  };
}

function* candidates(coll: Collection, p: Plan, txn?: Txn): IterableIterator<[string, Doc]> {
  if (!p.ids) {
    yield* coll.visible(txn);
    return;
  }
  const seen = new Set<string>();
  for (const id of p.ids) {
    const doc = coll.get(id, txn);
    seen.add(id);
    if (doc) yield [id, doc];
  }
  // The committed indexes hold neither the transaction's own writes nor its snapshot's older states. An
  // _id lookup names its documents, so it misses none; an index scan re-checks the others' keys, which is
  // far cheaper than matching them (history grows large while a dead client's transaction stays open).
  if (!txn || p.stage === 'IDHACK' || !p.scan) return;
  const { index, keys } = p.scan;
  for (const id of [...coll.historyIds(), ...(txn.writesFor(coll)?.keys() ?? [])]) {
    if (seen.has(id)) continue;
    seen.add(id);
    const doc = coll.get(id, txn);
    if (doc && index.keysOf(doc).some((k) => keys.has(k))) yield [id, doc];
  }
}

/** Documents of `coll` matching `filter`, as `txn` sees them; stops after `limit` when given. */
export function select(coll: Collection, filter: Doc | undefined, txn?: Txn, limit = 0): Selection {
  const query = compileFilter(filter);
  const p = plan(coll, filter ?? {});
  const matches: [string, Doc][] = [];
  let docsExamined = 0;
  try {
    for (const entry of candidates(coll, p, txn)) {
      docsExamined++;
      if (!query.test(entry[1])) continue;
      matches.push(entry);
      if (limit > 0 && matches.length >= limit) break;
    }
  } catch (err) {
    throw fromMingo(err);
  } finally {
    coll.stats.docsExamined += docsExamined;
    coll.stats.keysExamined += p.keysExamined;
  }
  return { plan: p, matches, docsExamined };
}
