import { fromMingo } from '../errors.js';
import type { Doc } from './keys.js';
import { newQuery } from './mingo-query.js';
import { withIdFirst } from './updates.js';

const isSlice = (v: unknown): v is { $slice: number | [number, number] } =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && '$slice' in v;

const isExclusion = (v: unknown) => v === 0 || v === false;

/**
 * Applies a find projection. mingo takes a lone `$slice` as an inclusion projection, while MongoDB
 * keeps every other field, so slices next to exclusions are applied here. MongoDB also lists _id
 * first, where mingo appends it.
 */
export function projectDocs(docs: Doc[], filter: Doc | undefined, projection: Doc | undefined): Doc[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  const slices = Object.entries(projection).filter(([, v]) => isSlice(v));
  const rest = Object.fromEntries(Object.entries(projection).filter(([, v]) => !isSlice(v)));
  const sliceOnly = slices.length > 0 && Object.values(rest).every(isExclusion);
  try {
    let out = docs;
    const mingoProjection = sliceOnly ? rest : projection;
    if (Object.keys(mingoProjection).length)
      out = newQuery(filter ?? {})
        .find<Doc>(docs, mingoProjection)
        .all();
    if (sliceOnly) out = out.map((d) => applySlices(d, slices as [string, { $slice: number | [number, number] }][]));
    return out.map(withIdFirst);
  } catch (err) {
    throw fromMingo(err);
  }
}

function applySlices(doc: Doc, slices: [string, { $slice: number | [number, number] }][]): Doc {
  const copy: Doc = { ...doc };
  for (const [path, { $slice }] of slices) {
    const parts = path.split('.');
    let cur: Doc = copy;
    for (const p of parts.slice(0, -1)) {
      if (cur[p] === null || typeof cur[p] !== 'object' || Array.isArray(cur[p])) break;
      cur[p] = { ...(cur[p] as Doc) };
      cur = cur[p] as Doc;
    }
    const last = parts[parts.length - 1];
    const arr = cur[last];
    if (!Array.isArray(arr)) continue;
    cur[last] = slice(arr, $slice);
  }
  return copy;
}

function slice(arr: unknown[], spec: number | [number, number]): unknown[] {
  if (Array.isArray(spec)) {
    const [skip, limit] = spec;
    const start = skip < 0 ? Math.max(arr.length + skip, 0) : skip;
    return arr.slice(start, start + limit);
  }
  return spec >= 0 ? arr.slice(0, spec) : arr.slice(Math.max(arr.length + spec, 0));
}
