import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as accumulator from 'mingo/operators/accumulator';
import * as expression from 'mingo/operators/expression';
import * as pipeline from 'mingo/operators/pipeline';
import * as projection from 'mingo/operators/projection';
import * as query from 'mingo/operators/query';
import * as window from 'mingo/operators/window';
import { Context } from 'mingo';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import type { Doc } from './keys.js';

interface ComputeOptionsClass {
  init(options: Partial<Options>): Options;
}

/**
 * mingo's own `Query` copies every operator table of its context (hundreds of entries) each time it is
 * constructed: about three quarters of the cost of compiling a filter, paid by every find, update and
 * delete. Its options class skips that copy when it is handed an instance of itself, so every query
 * here shares one, built once with the operators mingo's `Query` gets. The class is not exported, hence
 * the require by path; without it, queries fall back to the copying options.
 */
function sharedOptions(): Partial<Options> {
  const plain: Partial<Options> = {
    scriptEnabled: false,
    context: Context.init({ accumulator, expression, pipeline, projection, query, window }),
  };
  try {
    const require = createRequire(import.meta.url);
    const internal = join(dirname(require.resolve('mingo/query')), 'core', '_internal.js');
    const { ComputeOptions } = require(internal) as { ComputeOptions?: ComputeOptionsClass };
    return ComputeOptions?.init(plain) ?? plain;
  } catch {
    return plain;
  }
}

const OPTIONS = sharedOptions();

/** A mingo query for `filter` (throws mingo's errors: callers translate them). */
export function newQuery(filter: Doc): Query {
  return new Query(filter, OPTIONS);
}
