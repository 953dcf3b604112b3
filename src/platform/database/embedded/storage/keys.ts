import { Binary, Decimal128, EJSON, Long, ObjectId, Timestamp } from 'bson';

export type Doc = Record<string, unknown>;

/**
 * A string that is equal for two values exactly when mingo's equality says they are equal, for the
 * scalar types used as index keys. Objects and arrays fall back to canonical EJSON, which keeps
 * field order (MongoDB compares embedded documents field by field, in order).
 */
export function keyOf(v: unknown): string {
  if (v === undefined || v === null) return 'N';
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'number':
      return 'n' + (Object.is(v, -0) ? 0 : v);
    case 'boolean':
      return v ? 'T' : 'F';
    case 'bigint':
      return 'n' + v.toString();
  }
  if (v instanceof ObjectId) return 'o' + v.toHexString();
  if (v instanceof Date) return 'd' + v.getTime();
  if (v instanceof Long) return 'n' + v.toString();
  if (v instanceof Decimal128) return 'm' + v.toString();
  if (v instanceof Timestamp) return 't' + v.toString();
  if (v instanceof Binary) return 'b' + v.sub_type + ':' + Buffer.from(v.buffer).toString('base64');
  return 'x' + EJSON.stringify(v as Doc, { relaxed: false });
}

/** True for values whose equality match in a filter is decided by `keyOf` (no array/document fan-out). */
export function isIndexableScalar(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  return v instanceof ObjectId || v instanceof Date || v instanceof Long || v instanceof Decimal128;
}

/**
 * Every value a dotted path reaches in a document, fanning out through arrays as MongoDB's
 * multikey indexes do. A missing path yields [undefined]; an array yields its elements.
 */
export function valuesAt(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out);
  if (out.length === 0) out.push(undefined);
  return out;
}

function collect(value: unknown, parts: string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (Array.isArray(value)) {
      if (value.length === 0) out.push(undefined);
      for (const el of value) out.push(el);
    } else {
      out.push(value);
    }
    return;
  }
  if (value === null || typeof value !== 'object') {
    out.push(undefined);
    return;
  }
  if (Array.isArray(value)) {
    const idx = /^\d+$/.test(parts[i]) ? Number(parts[i]) : -1;
    if (idx >= 0 && idx < value.length) collect(value[idx], parts, i + 1, out);
    for (const el of value) if (el !== null && typeof el === 'object' && !Array.isArray(el)) collect(el, parts, i, out);
    return;
  }
  collect((value as Doc)[parts[i]], parts, i + 1, out);
}

/** The first value at a dotted path (no fan-out), for error messages and key values. */
export function valueAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Doc)[part];
  }
  return cur;
}

/** MongoDB's shell-like rendering of a key, used in E11000 messages: `{ email: "a@b.c" }`. */
export function renderKey(keyValue: Doc): string {
  const parts = Object.entries(keyValue).map(([k, v]) => `${k}: ${renderValue(v)}`);
  return parts.length ? `{ ${parts.join(', ')} }` : '{}';
}

function renderValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof ObjectId) return `ObjectId('${v.toHexString()}')`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (typeof v === 'object') return EJSON.stringify(v as Doc, { relaxed: true });
  return String(v);
}
