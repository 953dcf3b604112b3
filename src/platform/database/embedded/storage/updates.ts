import { ObjectId } from 'bson';
import { update as mingoUpdate, updateOne as mingoPipelineUpdate } from 'mingo';
import { cloneDeep, isEqual } from 'mingo/util';
import { Codes, failedToParse, fromMingo, MongoCommandError } from '../errors.js';
import { keyOf, type Doc } from './keys.js';
import { MINGO_OPTIONS } from './planner.js';

const OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$rename',
  '$min',
  '$max',
  '$currentDate',
  '$push',
  '$pull',
  '$pullAll',
  '$addToSet',
  '$pop',
  '$bit',
  '$setOnInsert',
]);

export type UpdateSpec = Doc | Doc[];

const isPlainObject = (v: unknown): v is Doc =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** Replacement documents have no `$` keys; operator updates have only `$` keys. */
export function isReplacement(u: UpdateSpec): u is Doc {
  return !Array.isArray(u) && !Object.keys(u).some((k) => k.startsWith('$'));
}

export function validateUpdate(u: unknown): asserts u is UpdateSpec {
  if (Array.isArray(u)) {
    if (!u.every(isPlainObject)) throw failedToParse('Each element of the update pipeline must be an object');
    return;
  }
  if (!isPlainObject(u)) throw failedToParse('Update argument must be either an object or an array');
  const keys = Object.keys(u);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length === 0) return;
  if (ops.length !== keys.length) {
    const plain = keys.find((k) => !k.startsWith('$'));
    throw failedToParse(
      `Unknown modifier: ${plain}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  }
  for (const op of ops) {
    if (!OPERATORS.has(op)) {
      throw failedToParse(
        `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!isPlainObject(u[op])) {
      throw failedToParse(
        `Modifiers operate on fields but we found type ${typeof u[op]} instead. For example: {$mod: {<field>: ...}} not {${op}: ${JSON.stringify(u[op])}}`,
      );
    }
  }
}

export interface UpdateOptions {
  arrayFilters?: Doc[];
  /** The statement's filter, needed by the positional `$` operator. */
  filter?: Doc;
  /** True when the document is being created by an upsert ($setOnInsert applies). */
  inserting?: boolean;
}

/** Applies an update to a copy of `current`; returns the new document and whether anything changed. */
export function applyUpdate(current: Doc, u: UpdateSpec, opts: UpdateOptions = {}): { doc: Doc; modified: boolean } {
  let next: Doc;
  if (isReplacement(u)) {
    if ('_id' in u && current._id !== undefined && keyOf(u._id) !== keyOf(current._id)) throw immutableId();
    next = { _id: current._id ?? u._id, ...stripId(u) };
    if (next._id === undefined) delete next._id;
  } else if (Array.isArray(u)) {
    const docs = [cloneDeep(current) as Doc];
    try {
      mingoPipelineUpdate(docs, {}, u as never, {}, MINGO_OPTIONS);
    } catch (err) {
      throw fromMingo(err);
    }
    next = docs[0];
  } else {
    next = cloneDeep(current) as Doc;
    const modifier: Doc = { ...(u as Doc) };
    const onInsert = modifier.$setOnInsert as Doc | undefined;
    delete modifier.$setOnInsert;
    if (opts.inserting && onInsert) modifier.$set = { ...(modifier.$set as Doc | undefined), ...onInsert };
    keepSameId(next, modifier);
    const simple = !opts.arrayFilters?.length && applySimpleUpdate(next, modifier);
    if (!simple && Object.keys(modifier).length) {
      prepareMissingPushTargets(next, modifier.$push as Doc | undefined);
      const positional = JSON.stringify(Object.values(modifier).map((o) => Object.keys(o as Doc))).includes('.$');
      try {
        mingoUpdate(next, modifier, opts.arrayFilters, positional ? opts.filter : undefined, {
          cloneMode: 'copy',
          queryOptions: MINGO_OPTIONS,
        });
      } catch (err) {
        throw fromMingo(err);
      }
    }
  }
  if (current._id !== undefined && keyOf(next._id) !== keyOf(current._id)) throw immutableId();
  return {
    doc: withIdFirst(next),
    modified: !isEqual(current, next) || Object.keys(current).join() !== Object.keys(next).join(),
  };
}

const SIMPLE_OPERATORS = new Set(['$set', '$unset', '$inc', '$push']);

/**
 * `$set`, `$unset`, `$inc` and `$push` of one value (no `$each` or other modifiers) on paths through plain
 * objects, applied in place the way mingo applies them (operators and fields in the modifier's order,
 * missing parents created, `$inc` of a missing field from 0, `$push` to a missing field starts an array),
 * without mingo: its updater copies its whole operator tables on every call, which made each updated
 * document cost a fraction of a millisecond (most of this server's CPU under keel's outbox updates).
 * Returns false without changing anything when the update needs more: other operators, `_id`, positional
 * or numeric path segments, conflicting paths, an array or scalar on the path, a non-numeric `$inc`.
 * mingo then applies it, and reports the errors MongoDB reports.
 */
function applySimpleUpdate(doc: Doc, modifier: Doc): boolean {
  const steps: Array<{ op: string; parts: string[]; value: unknown }> = [];
  for (const [op, fields] of Object.entries(modifier)) {
    if (!SIMPLE_OPERATORS.has(op)) return false;
    for (const [path, value] of Object.entries(fields as Doc)) {
      const parts = path.split('.');
      if (parts[0] === '_id' || parts.some((p) => p === '' || p.startsWith('$') || /^\d+$/.test(p))) return false;
      if (op === '$inc' && typeof value !== 'number') return false;
      if (op === '$push' && isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) return false;
      steps.push({ op, parts, value });
    }
  }
  const paths = steps.map((s) => s.parts.join('.')).sort();
  for (let i = 1; i < paths.length; i++) {
    if (paths[i] === paths[i - 1] || paths[i]!.startsWith(`${paths[i - 1]}.`)) return false;
  }
  for (const { op, parts } of steps) {
    let cur: unknown = doc;
    for (const p of parts.slice(0, -1)) {
      cur = (cur as Doc)[p];
      if (cur === undefined) break;
      if (!isPlainObject(cur)) return false;
    }
    if (op === '$inc' && cur !== undefined) {
      const v = (cur as Doc)[parts[parts.length - 1]!];
      if (v !== undefined && typeof v !== 'number') return false;
    }
    if (op === '$push' && cur !== undefined) {
      const v = (cur as Doc)[parts[parts.length - 1]!];
      if (v !== undefined && !Array.isArray(v)) return false;
    }
  }
  for (const { op, parts, value } of steps) {
    const last = parts[parts.length - 1]!;
    let cur: Doc | undefined = doc;
    for (const p of parts.slice(0, -1)) {
      if (cur[p] === undefined) {
        if (op === '$unset') {
          cur = undefined;
          break;
        }
        cur[p] = {};
      }
      cur = cur[p] as Doc;
    }
    if (!cur) continue;
    if (op === '$set') cur[last] = cloneDeep(value);
    else if (op === '$push') cur[last] = [...((cur[last] as unknown[] | undefined) ?? []), cloneDeep(value)];
    else if (op === '$unset') delete cur[last];
    else cur[last] = ((cur[last] as number | undefined) || 0) + (value as number);
  }
  return true;
}

/**
 * MongoDB lets `$set` (and an upsert's `$setOnInsert`) name `_id` with the value the document has, or will
 * get from the filter; mingo refuses any `_id` in `$set`. Such a no-op is taken out (a different value stays
 * in and is refused as MongoDB refuses it).
 */
function keepSameId(next: Doc, modifier: Doc): void {
  const set = modifier.$set as Doc | undefined;
  if (!set || !('_id' in set) || (next._id !== undefined && keyOf(set._id) !== keyOf(next._id))) return;
  next._id = set._id;
  const { _id: _same, ...rest } = set;
  if (Object.keys(rest).length) modifier.$set = rest;
  else delete modifier.$set;
}

/** mingo ignores $each's $sort/$slice when the array does not exist yet; MongoDB starts from []. */
function prepareMissingPushTargets(doc: Doc, push: Doc | undefined): void {
  if (!push) return;
  for (const [path, spec] of Object.entries(push)) {
    if (!isPlainObject(spec) || !('$each' in spec) || path.includes('$')) continue;
    const parts = path.split('.');
    let cur: Doc = doc;
    for (const p of parts.slice(0, -1)) {
      if (!isPlainObject(cur[p])) return;
      cur = cur[p] as Doc;
    }
    if (cur[parts[parts.length - 1]] === undefined) cur[parts[parts.length - 1]] = [];
  }
}

/** The document an upsert inserts when nothing matched. */
export function upsertDocument(filter: Doc, u: UpdateSpec, opts: UpdateOptions): Doc {
  if (isReplacement(u)) {
    const seed = seedFromFilter(filter);
    const _id = u._id ?? seed._id ?? new ObjectId();
    return { _id, ...stripId(u) };
  }
  const base = seedFromFilter(filter);
  const { doc } = applyUpdate(base, u, { ...opts, inserting: true, filter: undefined });
  if (doc._id === undefined) return { _id: new ObjectId(), ...doc };
  return withIdFirst(doc);
}

/** Equality fields of a filter, as MongoDB copies them into an upserted document. */
function seedFromFilter(filter: Doc, out: Doc = {}): Doc {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) seedFromFilter(sub, out);
      continue;
    }
    if (k.startsWith('$')) continue;
    if (isPlainObject(v) && Object.keys(v).some((x) => x.startsWith('$'))) {
      if ('$eq' in v) setPath(out, k, cloneDeep(v.$eq));
      else if (Array.isArray(v.$in) && v.$in.length === 1) setPath(out, k, cloneDeep(v.$in[0]));
      continue;
    }
    setPath(out, k, cloneDeep(v));
  }
  return out;
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p] as Doc;
  }
  cur[parts[parts.length - 1]] = value;
}

function stripId(doc: Doc): Doc {
  const { _id: _ignored, ...rest } = doc;
  return rest;
}

export function withIdFirst(doc: Doc): Doc {
  if (doc._id === undefined || Object.keys(doc)[0] === '_id') return doc;
  return { _id: doc._id, ...stripId(doc) };
}

function immutableId(): MongoCommandError {
  return new MongoCommandError(
    Codes.ImmutableField,
    "Performing an update on the path '_id' would modify the immutable field '_id'",
  );
}
