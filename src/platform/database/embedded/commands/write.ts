import { ObjectId, type Document } from 'bson';
import { badValue, failedToParse } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import { keyOf, type Doc } from '../storage/keys.js';
import { compileFilter, select } from '../storage/planner.js';
import {
  applyUpdate,
  isReplacement,
  upsertDocument,
  validateUpdate,
  withIdFirst,
  type UpdateOptions,
  type UpdateSpec,
} from '../storage/updates.js';
import {
  collectionName,
  eachStatement,
  existing,
  optionalDoc,
  statementsOf,
  untilUnblocked,
  type CommandContext,
  type Handler,
} from './context.js';

export function prepareInsert(raw: Doc): Doc {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw badValue('document to insert must be an object');
  if (raw._id === undefined) return { _id: new ObjectId(), ...raw };
  if (Array.isArray(raw._id)) throw badValue("can't use an array for _id");
  if (raw._id instanceof RegExp) throw badValue("can't use a regex for _id");
  return withIdFirst(raw);
}

function withErrors(reply: Document, writeErrors: Document[]): Document {
  if (writeErrors.length) reply.writeErrors = writeErrors;
  reply.ok = 1;
  return reply;
}

const insert: Handler = async (cmd, ctx) => {
  const docs = statementsOf(cmd, 'documents');
  const { coll } = ctx.engine.ensure(ctx.db, collectionName(cmd));
  let n = 0;
  const writeErrors = await eachStatement(ctx, docs, cmd.ordered !== false, async (raw) => {
    const doc = prepareInsert(raw);
    const id = keyOf(doc._id);
    await untilUnblocked(ctx, () => coll.insert(id, doc, ctx.txn));
    n++;
  });
  return withErrors({ n }, writeErrors);
};

interface UpdateOutcome {
  n: number;
  nModified: number;
  upserted?: unknown;
}

/** Updates the first match, or upserts; synchronous so it can be retried whole when blocked. */
export function updateFirst(
  ctx: CommandContext,
  name: string,
  q: Doc,
  u: UpdateSpec,
  upsert: boolean,
  opts: UpdateOptions,
): UpdateOutcome & { before?: Doc; after?: Doc } {
  const coll = existing(ctx, name);
  const match = coll ? select(coll, q, ctx.txn, 1).matches[0] : (compileFilter(q), undefined);
  if (coll && match) {
    const [id, before] = match;
    const { doc, modified } = applyUpdate(before, u, opts);
    if (modified) coll.write(id, doc, ctx.txn);
    return { n: 1, nModified: modified ? 1 : 0, before, after: doc };
  }
  if (!upsert) return { n: 0, nModified: 0 };
  const doc = upsertDocument(q, u, opts);
  ctx.engine.ensure(ctx.db, name).coll.insert(keyOf(doc._id), doc, ctx.txn);
  return { n: 1, nModified: 0, upserted: doc._id, after: doc };
}

async function updateMany(
  ctx: CommandContext,
  coll: Collection,
  q: Doc,
  u: UpdateSpec,
  opts: UpdateOptions,
): Promise<UpdateOutcome> {
  const query = compileFilter(q);
  const out = { n: 0, nModified: 0 };
  for (const [id] of select(coll, q, ctx.txn).matches) {
    await untilUnblocked(ctx, () => {
      const current = coll.get(id, ctx.txn);
      if (!current || !query.test(current)) return;
      const { doc, modified } = applyUpdate(current, u, opts);
      if (modified) coll.write(id, doc, ctx.txn);
      out.n++;
      if (modified) out.nModified++;
    });
  }
  return out;
}

const update: Handler = async (cmd, ctx) => {
  const name = collectionName(cmd);
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const writeErrors = await eachStatement(
    ctx,
    statementsOf(cmd, 'updates'),
    cmd.ordered !== false,
    async (stmt, index) => {
      const q = optionalDoc(stmt.q, 'q') ?? {};
      const u = stmt.u;
      validateUpdate(u);
      const opts: UpdateOptions = { arrayFilters: stmt.arrayFilters as Doc[] | undefined, filter: q };
      let outcome: UpdateOutcome;
      if (stmt.multi === true) {
        if (isReplacement(u)) throw failedToParse('multi update is not supported for replacement-style update');
        const coll = existing(ctx, name);
        outcome = coll ? await updateMany(ctx, coll, q, u, opts) : { n: 0, nModified: 0 };
        if (outcome.n === 0 && stmt.upsert === true) {
          outcome = await untilUnblocked(ctx, () => updateFirst(ctx, name, q, u, true, opts));
        } else if (!coll) compileFilter(q);
      } else {
        outcome = await untilUnblocked(ctx, () => updateFirst(ctx, name, q, u, stmt.upsert === true, opts));
      }
      n += outcome.n;
      nModified += outcome.nModified;
      if (outcome.upserted !== undefined) upserted.push({ index, _id: outcome.upserted });
    },
  );
  const reply: Document = { n, nModified };
  if (upserted.length) reply.upserted = upserted;
  return withErrors(reply, writeErrors);
};

const del: Handler = async (cmd, ctx) => {
  const coll = existing(ctx, collectionName(cmd));
  let n = 0;
  const writeErrors = await eachStatement(ctx, statementsOf(cmd, 'deletes'), cmd.ordered !== false, async (stmt) => {
    const q = optionalDoc(stmt.q, 'q') ?? {};
    const limit = Number(stmt.limit ?? 0);
    if (limit !== 0 && limit !== 1)
      throw failedToParse(`The limit field in delete objects must be 0 or 1. Got ${limit}`);
    const query = compileFilter(q);
    if (!coll) return;
    if (limit === 1) {
      await untilUnblocked(ctx, () => {
        const match = select(coll, q, ctx.txn, 1).matches[0];
        if (!match) return;
        coll.write(match[0], null, ctx.txn);
        n++;
      });
      return;
    }
    for (const [id] of select(coll, q, ctx.txn).matches) {
      await untilUnblocked(ctx, () => {
        const current = coll.get(id, ctx.txn);
        if (!current || !query.test(current)) return;
        coll.write(id, null, ctx.txn);
        n++;
      });
    }
  });
  return withErrors({ n }, writeErrors);
};

export const writeCommands: Record<string, Handler> = { insert, update, delete: del };
