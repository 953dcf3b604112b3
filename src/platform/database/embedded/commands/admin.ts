import type { Document } from 'bson';
import { Codes, MongoCommandError } from '../errors.js';
import { ID_INDEX } from '../storage/collection.js';
import type { Doc } from '../storage/keys.js';
import { compileFilter } from '../storage/planner.js';
import { collectionName, existing, optionalDoc, type Handler } from './context.js';

const listDatabases: Handler = (cmd, ctx) => {
  const filter = compileFilter(optionalDoc(cmd.filter, 'filter'));
  const databases = ctx.engine
    .databaseNames()
    .map((name) => ({ name, sizeOnDisk: 0, empty: false }))
    .filter((d) => filter.test(d));
  if (cmd.nameOnly) return { databases: databases.map(({ name }) => ({ name })), ok: 1 };
  return { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
};

const listCollections: Handler = (cmd, ctx) => {
  const filter = compileFilter(optionalDoc(cmd.filter, 'filter'));
  const entries = ctx.engine
    .collections(ctx.db)
    .map((c) => ({
      name: c.name,
      type: 'collection',
      options: c.options,
      info: { readOnly: false, uuid: c.uuid },
      idIndex: ID_INDEX,
    }))
    .filter((e) => filter.test(e))
    .map((e) => (cmd.nameOnly ? { name: e.name, type: e.type } : e));
  const batchSize = (cmd.cursor as Doc | undefined)?.batchSize as number | undefined;
  return { cursor: ctx.engine.cursors.open(`${ctx.db}.$cmd.listCollections`, entries, batchSize), ok: 1 };
};

const CREATE_FIELDS = new Set([
  'create',
  '$db',
  'lsid',
  '$clusterTime',
  'writeConcern',
  'txnNumber',
  'autocommit',
  'startTransaction',
  '$readPreference',
  'comment',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
]);

const create: Handler = (cmd, ctx) => {
  const name = collectionName(cmd);
  if (existing(ctx, name)) {
    throw new MongoCommandError(Codes.NamespaceExists, `Collection ${ctx.db}.${name} already exists.`);
  }
  const options: Doc = {};
  for (const [k, v] of Object.entries(cmd)) if (!CREATE_FIELDS.has(k)) options[k] = v;
  ctx.engine.ensure(ctx.db, name, options);
  return { ok: 1 };
};

const drop: Handler = (cmd, ctx) => {
  const name = collectionName(cmd);
  const dropped = ctx.engine.drop(ctx.db, name);
  return { nIndexesWas: dropped ? dropped.listIndexes().length : 0, ns: `${ctx.db}.${name}`, ok: 1 };
};

const dropDatabase: Handler = (_cmd, ctx) => {
  ctx.engine.dropDatabase(ctx.db);
  return { dropped: ctx.db, ok: 1 };
};

function splitNs(ns: unknown): [string, string] {
  const s = String(ns);
  const dot = s.indexOf('.');
  if (dot <= 0) throw new MongoCommandError(Codes.InvalidNamespace, `Invalid namespace specified '${s}'`);
  return [s.slice(0, dot), s.slice(dot + 1)];
}

const renameCollection: Handler = (cmd, ctx) => {
  const [fromDb, from] = splitNs(cmd.renameCollection);
  const [toDb, to] = splitNs(cmd.to);
  if (!ctx.engine.collection(fromDb, from))
    throw new MongoCommandError(Codes.NamespaceNotFound, 'source namespace does not exist');
  if (ctx.engine.collection(toDb, to) && !cmd.dropTarget)
    throw new MongoCommandError(Codes.NamespaceExists, 'target namespace exists');
  ctx.engine.rename(fromDb, from, toDb, to);
  return { ok: 1 };
};

const collMod: Handler = (cmd, ctx) => {
  const coll = existing(ctx, collectionName(cmd));
  if (!coll)
    throw new MongoCommandError(Codes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${String(cmd.collMod)}`);
  const change = optionalDoc(cmd.index, 'index');
  if (!change) return { ok: 1 };
  const idx = [...coll.indexes.values()].find(
    (i) => i.name === change.name || JSON.stringify(i.spec.key) === JSON.stringify(change.keyPattern),
  );
  if (!idx)
    throw new MongoCommandError(Codes.IndexNotFound, `cannot find index ${JSON.stringify(change)} for ns ${coll.ns}`);
  const result: Document = { ok: 1 };
  for (const option of ['expireAfterSeconds', 'hidden'] as const) {
    if (change[option] === undefined) continue;
    result[`${option}_old`] = idx.spec[option];
    (idx.spec as Doc)[option] = change[option];
    result[`${option}_new`] = change[option];
  }
  return result;
};

const dbStats: Handler = (_cmd, ctx) => {
  const colls = ctx.engine.collections(ctx.db);
  return {
    db: ctx.db,
    collections: colls.length,
    views: 0,
    objects: colls.reduce((n, c) => n + c.docs.size, 0),
    indexes: colls.reduce((n, c) => n + c.listIndexes().length, 0),
    dataSize: 0,
    storageSize: 0,
    indexSize: 0,
    ok: 1,
  };
};

export const adminCommands: Record<string, Handler> = {
  listDatabases,
  listCollections,
  create,
  drop,
  dropDatabase,
  renameCollection,
  collMod,
  dbStats,
};
