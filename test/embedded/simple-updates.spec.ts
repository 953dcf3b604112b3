import fc from 'fast-check';
import { update as mingoUpdate } from 'mingo';
import { cloneDeep } from 'mingo/util';
import { applyUpdate } from '../../src/platform/database/embedded/storage/updates.js';
import type { Doc } from '../../src/platform/database/embedded/storage/keys.js';

/**
 * applyUpdate applies plain $set / $unset / $inc / $push itself instead of through mingo (for speed); whatever
 * it takes on must come out exactly as mingo makes it, key order included, and what it hands back to
 * mingo must still fail where mingo fails.
 */
function viaMingo(doc: Doc, modifier: Doc): { doc?: string; error?: true } {
  const next = cloneDeep(doc) as Doc;
  try {
    mingoUpdate(next, modifier, undefined, undefined, {
      cloneMode: 'copy',
      queryOptions: { scriptEnabled: false },
    });
  } catch {
    return { error: true };
  }
  return { doc: JSON.stringify(next) };
}

function viaApplyUpdate(doc: Doc, modifier: Doc): { doc?: string; error?: true } {
  try {
    return { doc: JSON.stringify(applyUpdate(doc, modifier).doc) };
  } catch {
    return { error: true };
  }
}

const key = fc.constantFrom('a', 'b', 'c');
const path = fc.array(key, { minLength: 1, maxLength: 3 }).map((p) => p.join('.'));
const scalar = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.string({ maxLength: 2 }), fc.constant(null), fc.boolean());
const value = fc.oneof(scalar, fc.dictionary(key, scalar, { maxKeys: 2 }), fc.array(scalar, { maxLength: 2 }));
const { node: tree } = fc.letrec((tie) => ({
  node: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, scalar, tie('node'), fc.array(scalar, { maxLength: 2 })), {
    maxKeys: 3,
  }),
}));
const modifier = fc
  .record(
    {
      $set: fc.dictionary(path, value, { minKeys: 1, maxKeys: 3 }),
      $unset: fc.dictionary(path, fc.constant(''), { minKeys: 1, maxKeys: 2 }),
      $inc: fc.dictionary(path, fc.integer({ min: -3, max: 3 }), {
        minKeys: 1,
        maxKeys: 2,
      }),
      $push: fc.dictionary(path, value, { minKeys: 1, maxKeys: 2 }),
    },
    { requiredKeys: [] },
  )
  .filter((m) => Object.keys(m).length > 0);

describe('embedded mongo: plain $set/$unset/$inc/$push without mingo', () => {
  it('gives what mingo gives, or fails where mingo fails', () => {
    fc.assert(
      fc.property(tree, modifier, (d, m) => {
        const doc = { _id: 1, ...(d as Doc) };
        expect(viaApplyUpdate(doc, m as Doc)).toEqual(viaMingo(doc, m as Doc));
      }),
      { numRuns: 3000 },
    );
  });

  it('creates parents, increments from zero and leaves missing paths alone', () => {
    const { doc, modified } = applyUpdate({ _id: 1, n: 1, deep: { x: 1 }, old: 1 }, {
      $set: { 'deep.a.b': 2, z: { k: [1] } },
      $inc: { n: 2, m: 3 },
      $unset: { 'gone.x': '', old: '' },
    } as Doc);
    expect(modified).toBe(true);
    expect(JSON.stringify(doc)).toBe(
      JSON.stringify({
        _id: 1,
        n: 3,
        deep: { x: 1, a: { b: 2 } },
        z: { k: [1] },
        m: 3,
      }),
    );
    expect(applyUpdate(doc, { $set: { n: 3 } }).modified).toBe(false);
  });
});
