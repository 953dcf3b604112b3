import { ObjectId } from 'bson';
import { Aggregator } from 'mingo';
import { cloneDeep } from 'mingo/util';
import { Codes, fromMingo, MongoCommandError } from '../errors.js';
import { keyOf, type Doc } from '../storage/keys.js';
import { MINGO_OPTIONS, select } from '../storage/planner.js';
import { withIdFirst } from '../storage/updates.js';
import { type CommandContext, type Handler } from './context.js';

function visibleDocs(ctx: CommandContext, db: string, name: string): Doc[] {
  const coll = ctx.engine.collection(db, name);
  if (!coll) return [];
  return [...coll.visible(ctx.txn)].map(([, doc]) => cloneDeep(doc) as Doc);
}

/** The `$out` target as [db, collection], or undefined when the pipeline does not end with one. */
function outTarget(pipeline: Doc[], db: string): [string, string] | undefined {
  const last = pipeline[pipeline.length - 1];
  if (!last || !('$out' in last)) return undefined;
  const spec = last.$out;
  if (typeof spec === 'string') return [db, spec];
  if (spec && typeof spec === 'object' && typeof (spec as Doc).coll === 'string') {
    return [typeof (spec as Doc).db === 'string' ? ((spec as Doc).db as string) : db, (spec as Doc).coll as string];
  }
  throw new MongoCommandError(Codes.FailedToParse, '$out must be a string or an object with a coll field');
}

export function runPipeline(ctx: CommandContext, source: string | undefined, pipeline: Doc[]): Doc[] {
  let stages = pipeline;
  let input: Doc[] = [];
  if (source !== undefined) {
    const coll = ctx.engine.collection(ctx.db, source);
    const first = stages[0];
    if (coll && first && typeof first.$match === 'object' && first.$match !== null) {
      // A leading $match goes through the planner, so it can use an index.
      input = select(coll, first.$match as Doc, ctx.txn).matches.map(([, d]) => cloneDeep(d) as Doc);
      stages = stages.slice(1);
    } else {
      input = visibleDocs(ctx, ctx.db, source);
    }
  }
  if (stages.some((s) => '$merge' in s)) {
    throw new MongoCommandError(Codes.InvalidPipelineOperator, '$merge is not supported by the embedded server');
  }
  try {
    return new Aggregator(stages, {
      ...MINGO_OPTIONS,
      collectionResolver: (name: string) => visibleDocs(ctx, ctx.db, name),
    })
      .run(input)
      .map((d) => withIdFirst(d as Doc));
  } catch (err) {
    throw fromMingo(err);
  }
}

const aggregate: Handler = (cmd, ctx) => {
  const source = cmd.aggregate;
  if (typeof source !== 'string' && source !== 1) {
    throw new MongoCommandError(Codes.FailedToParse, "Invalid 'aggregate' field: must be a collection name or 1");
  }
  if (!Array.isArray(cmd.pipeline))
    throw new MongoCommandError(Codes.TypeMismatch, "'pipeline' option must be specified as an array");
  if (cmd.explain)
    throw new MongoCommandError(Codes.CommandNotFound, 'explain of aggregate is not supported by the embedded server');
  let pipeline = cmd.pipeline as Doc[];
  const out = outTarget(pipeline, ctx.db);
  if (out) pipeline = pipeline.slice(0, -1);
  const docs = runPipeline(ctx, typeof source === 'string' ? source : undefined, pipeline);
  const ns = typeof source === 'string' ? `${ctx.db}.${source}` : `${ctx.db}.$cmd.aggregate`;
  if (out) {
    writeOut(ctx, out, docs);
    return { cursor: ctx.engine.cursors.open(ns, [], 0), ok: 1 };
  }
  const batchSize = (cmd.cursor as Doc | undefined)?.batchSize as number | undefined;
  return { cursor: ctx.engine.cursors.open(ns, docs, batchSize), ok: 1 };
};

/** $out replaces the target collection's documents (its indexes stay) with the pipeline's output. */
function writeOut(ctx: CommandContext, [db, name]: [string, string], docs: Doc[]): void {
  const { coll } = ctx.engine.ensure(db, name);
  const specs = coll.listIndexes().slice(1);
  ctx.engine.drop(db, name);
  const { coll: fresh } = ctx.engine.ensure(db, name, coll.options);
  for (const spec of specs) fresh.createIndex(spec);
  for (const raw of docs) {
    const doc = withIdFirst(raw._id === undefined ? { _id: new ObjectId(), ...raw } : raw);
    fresh.insert(keyOf(doc._id), doc);
  }
}

export const aggregateCommands: Record<string, Handler> = { aggregate };
