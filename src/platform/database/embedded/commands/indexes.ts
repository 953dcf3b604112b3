import type { Document } from 'bson';
import { Codes, MongoCommandError } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import { normaliseSpec } from '../storage/indexes.js';
import type { Doc } from '../storage/keys.js';
import { collectionName, existing, type CommandContext, type Handler } from './context.js';

function mustExist(ctx: CommandContext, cmd: Document): Collection {
  const name = collectionName(cmd);
  const coll = existing(ctx, name);
  if (!coll) throw new MongoCommandError(Codes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  return coll;
}

const createIndexes: Handler = (cmd, ctx) => {
  if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) {
    throw new MongoCommandError(Codes.BadValue, 'Must specify at least one index to create');
  }
  const specs = (cmd.indexes as Doc[]).map(normaliseSpec);
  const { coll, created } = ctx.engine.ensure(ctx.db, collectionName(cmd));
  const numIndexesBefore = coll.listIndexes().length;
  let added = 0;
  for (const spec of specs) if (coll.createIndex(spec)) added++;
  const reply: Document = {
    numIndexesBefore,
    numIndexesAfter: coll.listIndexes().length,
    createdCollectionAutomatically: created,
    ok: 1,
  };
  if (added === 0) reply.note = 'all indexes already exist';
  return reply;
};

const listIndexes: Handler = (cmd, ctx) => {
  const coll = mustExist(ctx, cmd);
  const batchSize = (cmd.cursor as Doc | undefined)?.batchSize as number | undefined;
  return { cursor: ctx.engine.cursors.open(coll.ns, coll.listIndexes(), batchSize), ok: 1 };
};

const dropIndexes: Handler = (cmd, ctx) => {
  const coll = mustExist(ctx, cmd);
  const nIndexesWas = coll.listIndexes().length;
  const target = cmd.index;
  let names: string[];
  if (target === '*') names = [...coll.indexes.keys()];
  else if (typeof target === 'string') names = [target];
  else if (Array.isArray(target)) names = target.map(String);
  else if (target && typeof target === 'object') {
    const found = [...coll.indexes.values()].find((i) => JSON.stringify(i.spec.key) === JSON.stringify(target));
    if (!found)
      throw new MongoCommandError(Codes.IndexNotFound, `can't find index with key: ${JSON.stringify(target)}`);
    names = [found.name];
  } else {
    throw new MongoCommandError(Codes.TypeMismatch, "BSON field 'dropIndexes.index' is missing or of the wrong type");
  }
  for (const name of names) {
    if (name === '_id_') throw new MongoCommandError(Codes.InvalidOptions, 'cannot drop _id index');
    if (!coll.indexes.has(name))
      throw new MongoCommandError(Codes.IndexNotFound, `index not found with name [${name}]`);
  }
  for (const name of names) coll.dropIndex(name);
  return { nIndexesWas, ok: 1 };
};

export const indexCommands: Record<string, Handler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
};
