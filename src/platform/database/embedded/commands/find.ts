import type { Document } from 'bson';
import type { CollationSpec } from 'mingo/types';
import { Codes, fromMingo, MongoCommandError } from '../errors.js';
import { keyOf, valuesAt, type Doc } from '../storage/keys.js';
import { compileFilter, select, type Plan } from '../storage/planner.js';
import { projectDocs } from '../storage/projection.js';
import { collectionName, existing, optionalDoc, type CommandContext, type Handler } from './context.js';

export interface FindResult {
  docs: Doc[];
  plan?: Plan;
  docsExamined: number;
}

function nonNegative(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new MongoCommandError(Codes.BadValue, `${field} must be non-negative, but received: ${String(v)}`);
  return Math.floor(n);
}

/** Runs a find command's query: filter through the planner, then sort, skip, limit and projection. */
export function runFind(cmd: Document, ctx: CommandContext): FindResult {
  const coll = existing(ctx, collectionName(cmd));
  const filter = optionalDoc(cmd.filter, 'filter');
  const projection = optionalDoc(cmd.projection, 'projection');
  const sort = optionalDoc(cmd.sort, 'sort');
  const skip = nonNegative(cmd.skip, 'skip');
  const limit = Math.abs(Number(cmd.limit ?? 0)) || 0;
  if (!coll) {
    compileFilter(filter);
    return { docs: [], docsExamined: 0 };
  }
  const natural = sort && Object.keys(sort).length === 1 && '$natural' in sort ? Number(sort.$natural) : 0;
  const realSort = sort && Object.keys(sort).length > 0 && !natural ? sort : undefined;
  const stopAfter = !realSort && natural >= 0 && limit > 0 ? skip + limit : 0;
  const sel = select(coll, filter, ctx.txn, stopAfter);
  let docs = sel.matches.map((m) => m[1]);
  if (natural < 0) docs.reverse();
  if (realSort) {
    try {
      const cursor = compileFilter({})
        .find<Doc>(docs)
        .sort(realSort as Record<string, 1 | -1>);
      // mingo applies a collation to sorting only; filters stay binary comparisons.
      const collation = optionalDoc(cmd.collation, 'collation');
      if (collation?.locale) cursor.collation(collation as unknown as CollationSpec);
      if (skip) cursor.skip(skip);
      if (limit) cursor.limit(limit);
      docs = cursor.all();
    } catch (err) {
      throw fromMingo(err);
    }
  } else if (skip || limit) {
    docs = docs.slice(skip, limit ? skip + limit : undefined);
  }
  docs = projectDocs(docs, filter, projection);
  return { docs, plan: sel.plan, docsExamined: sel.docsExamined };
}

const find: Handler = (cmd, ctx) => {
  const ns = `${ctx.db}.${collectionName(cmd)}`;
  const { docs } = runFind(cmd, ctx);
  const batchSize = cmd.batchSize === undefined ? undefined : Number(cmd.batchSize);
  const single = cmd.singleBatch === true || Number(cmd.limit ?? 0) < 0;
  return { cursor: ctx.engine.cursors.open(ns, docs, batchSize, single), ok: 1 };
};

const getMore: Handler = (cmd, ctx) => {
  const collection = cmd.collection;
  if (typeof collection !== 'string')
    throw new MongoCommandError(Codes.FailedToParse, "BSON field 'getMore.collection' is missing but a required field");
  const batchSize = cmd.batchSize === undefined ? undefined : Number(cmd.batchSize);
  return { cursor: ctx.engine.cursors.getMore(cmd.getMore, `${ctx.db}.${collection}`, batchSize), ok: 1 };
};

const killCursors: Handler = (cmd, ctx) => {
  const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
  return { ...ctx.engine.cursors.kill(ids), cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

const count: Handler = (cmd, ctx) => {
  const coll = existing(ctx, collectionName(cmd));
  const query = optionalDoc(cmd.query, 'query');
  const skip = nonNegative(cmd.skip, 'skip');
  const limit = Math.abs(Number(cmd.limit ?? 0)) || 0;
  let n = 0;
  if (coll && (!query || Object.keys(query).length === 0)) n = coll.count(ctx.txn);
  else if (coll) n = select(coll, query, ctx.txn).matches.length;
  else compileFilter(query);
  n = Math.max(0, n - skip);
  return { n: limit ? Math.min(n, limit) : n, ok: 1 };
};

const distinct: Handler = (cmd, ctx) => {
  const coll = existing(ctx, collectionName(cmd));
  if (typeof cmd.key !== 'string')
    throw new MongoCommandError(Codes.FailedToParse, "BSON field 'distinct.key' is missing but a required field");
  const query = optionalDoc(cmd.query, 'query');
  const seen = new Map<string, unknown>();
  if (coll) {
    for (const [, doc] of select(coll, query, ctx.txn).matches) {
      for (const v of valuesAt(doc, cmd.key)) if (v !== undefined && !seen.has(keyOf(v))) seen.set(keyOf(v), v);
    }
  }
  return { values: [...seen.values()], ok: 1 };
};

function planStage(plan: Plan | undefined, filter: unknown): Document {
  if (!plan || plan.stage === 'COLLSCAN') return { stage: 'COLLSCAN', filter: filter ?? {}, direction: 'forward' };
  if (plan.stage === 'IDHACK') return { stage: 'IDHACK' };
  return { stage: 'FETCH', inputStage: { stage: 'IXSCAN', keyPattern: plan.keyPattern, indexName: plan.indexName } };
}

/** explain for find and count: the plan the planner picked and what executing it examined. */
const explain: Handler = (cmd, ctx) => {
  const inner = optionalDoc(cmd.explain, 'explain');
  const name = inner && Object.keys(inner)[0];
  if (!inner || (name !== 'find' && name !== 'count')) {
    throw new MongoCommandError(
      Codes.CommandNotFound,
      `explain is only supported for find and count, not '${String(name)}'`,
    );
  }
  const started = Date.now();
  const spec =
    name === 'count' ? { find: inner.count, filter: inner.query, skip: inner.skip, limit: inner.limit } : inner;
  const result = runFind(spec, ctx);
  const [host, port] = ctx.server.address.split(':');
  return {
    explainVersion: '1',
    queryPlanner: {
      namespace: `${ctx.db}.${String(inner[name])}`,
      parsedQuery: spec.filter ?? {},
      winningPlan: planStage(result.plan, spec.filter),
      rejectedPlans: [],
    },
    executionStats: {
      executionSuccess: true,
      nReturned: result.docs.length,
      executionTimeMillis: Date.now() - started,
      totalKeysExamined: result.plan?.keysExamined ?? 0,
      totalDocsExamined: result.docsExamined,
    },
    command: inner,
    serverInfo: { host, port: Number(port), version: '7.0.0' },
    ok: 1,
  };
};

export const findCommands: Record<string, Handler> = { find, getMore, killCursors, count, distinct, explain };
