import type { Document } from 'bson';
import { failedToParse, fromMingo } from '../errors.js';
import { keyOf, type Doc } from '../storage/keys.js';
import { newQuery } from '../storage/mingo-query.js';
import { compileFilter, select } from '../storage/planner.js';
import { projectDocs } from '../storage/projection.js';
import { applyUpdate, upsertDocument, validateUpdate, type UpdateOptions } from '../storage/updates.js';
import { collectionName, existing, optionalDoc, untilUnblocked, type CommandContext, type Handler } from './context.js';

function project(doc: Doc | undefined, fields: Doc | undefined): Doc | null {
  return doc ? projectDocs([doc], undefined, fields)[0] : null;
}

function firstMatch(ctx: CommandContext, name: string, q: Doc, sort: Doc | undefined): [string, Doc] | undefined {
  const coll = existing(ctx, name);
  if (!coll) {
    compileFilter(q);
    return undefined;
  }
  if (!sort || Object.keys(sort).length === 0) return select(coll, q, ctx.txn, 1).matches[0];
  const matches = select(coll, q, ctx.txn).matches;
  if (matches.length === 0) return undefined;
  try {
    const [first] = newQuery({})
      .find<Doc>(matches.map(([, d]) => d))
      .sort(sort as Record<string, 1 | -1>)
      .limit(1)
      .all();
    return [keyOf(first._id), first];
  } catch (err) {
    throw fromMingo(err);
  }
}

function modify(ctx: CommandContext, cmd: Document, name: string): Document {
  const q = optionalDoc(cmd.query, 'query') ?? {};
  const sort = optionalDoc(cmd.sort, 'sort');
  const fields = optionalDoc(cmd.fields, 'fields');
  const remove = cmd.remove === true;
  const upsert = cmd.upsert === true;
  if (remove && cmd.update !== undefined) throw failedToParse('Cannot specify both an update and remove=true');
  if (remove && upsert) throw failedToParse('Cannot specify both upsert=true and remove=true');
  if (!remove) {
    if (cmd.update === undefined) throw failedToParse('Either an update or remove=true must be specified');
    validateUpdate(cmd.update);
  }
  const match = firstMatch(ctx, name, q, sort);
  const coll = ctx.engine.collection(ctx.db, name);
  if (remove) {
    if (!match || !coll) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
    coll.write(match[0], null, ctx.txn);
    return { lastErrorObject: { n: 1 }, value: project(match[1], fields), ok: 1 };
  }
  const opts: UpdateOptions = { arrayFilters: cmd.arrayFilters as Doc[] | undefined, filter: q };
  if (match && coll) {
    const { doc, modified } = applyUpdate(match[1], cmd.update, opts);
    if (modified) coll.write(match[0], doc, ctx.txn);
    return {
      lastErrorObject: { n: 1, updatedExisting: true },
      value: project(cmd.new === true ? doc : match[1], fields),
      ok: 1,
    };
  }
  if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  const doc = upsertDocument(q, cmd.update, opts);
  ctx.engine.ensure(ctx.db, name).coll.insert(keyOf(doc._id), doc, ctx.txn);
  return {
    lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
    value: cmd.new === true ? project(doc, fields) : null,
    ok: 1,
  };
}

const findAndModify: Handler = (cmd, ctx) => {
  const name = collectionName(cmd);
  return untilUnblocked(ctx, () => modify(ctx, cmd, name));
};

export const findAndModifyCommands: Record<string, Handler> = { findAndModify, findandmodify: findAndModify };
