import { getConnectionToken } from '@nestjs/mongoose';
import { createHash } from 'node:crypto';
import { EJSON } from 'bson';
import type { Connection } from 'mongoose';
import { RequestContext } from '../../../src/platform/context/index.js';
import { MerchantWallet } from '../../crypto/support/keys.js';
import { FakeCoinbase } from '../../support/coinbase/fake-coinbase.js';
import { bootInProcess, type RunningApp } from '../../support/in-process-app.js';
import { FakeOpenAI } from '../../support/openai/fake-openai.js';
import { FakeStripe } from '../../support/stripe/fake-stripe.js';
import { startMongoProcess } from './children.js';

/** One operation of the OpenAPI document, with what a request to it needs. */
export interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: Array<{ name: string; required: boolean; schema: any }>;
  headerParams: Array<{ name: string; required: boolean }>;
  body?: any;
  /** No bearer token needed (security: [] in the document). */
  isPublic: boolean;
  admin: boolean;
}

export const resolveRef = (doc: any, schema: any): any => {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++)
    s = s.$ref
      .split('/')
      .slice(1)
      .reduce((o: any, k: string) => o?.[k], doc);
  return s;
};

/** Every operation of the document (`/docs/json`), in document order. */
export function operationsOf(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: any[] = op.parameters ?? [];
      const security = op.security ?? doc.security ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({
            name: p.name,
            required: !!p.required,
            schema: resolveRef(doc, p.schema) ?? {},
          })),
        headerParams: params.filter((p) => p.in === 'header').map((p) => ({ name: p.name, required: !!p.required })),
        body: op.requestBody ? resolveRef(doc, op.requestBody.content?.['application/json']?.schema) : undefined,
        isPublic: Array.isArray(security) && security.length === 0,
        admin: path.startsWith('/admin'),
      });
    }
  }
  return ops;
}

/** A value the schema describes (its example when it has one): the valid base that cases then break. */
export function exampleOf(doc: any, schema: any, depth = 0): unknown {
  const s = resolveRef(doc, schema) ?? {};
  if (s.example !== undefined) return s.example;
  if (s.enum?.length) return s.enum[0];
  if (s.allOf?.length) return exampleOf(doc, s.allOf[0], depth + 1);
  if (s.oneOf?.length || s.anyOf?.length) return exampleOf(doc, (s.oneOf ?? s.anyOf)[0], depth + 1);
  if (depth > 6) return null;
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) {
        if ((s.required ?? []).includes(k) || v.example !== undefined) out[k] = exampleOf(doc, v, depth + 1);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => exampleOf(doc, s.items, depth + 1));
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return s.properties ? exampleOf(doc, { ...s, type: 'object' }, depth) : null;
  }
}

export interface Surface {
  app: RunningApp;
  port: number;
  doc: any;
  ops: Operation[];
  db: Connection;
  /**
   * Writes that changed something and were committed (outside a transaction, or in one whose commit
   * succeeded), by the correlation id of the request that made them.
   */
  writesBy: Map<string, Array<{ command: string; collection: string }>>;
  close(): Promise<void>;
}

const WRITES = new Set(['insert', 'update', 'delete', 'findAndModify', 'create', 'drop', 'createIndexes']);

/**
 * keel in this process in the api role with every feature configured (fake Stripe, a fake AI provider
 * address, a fake price feed and an xpub), so that every route gets past "not configured" and its input
 * handling is what answers; the driver's write commands are recorded per request (command monitoring,
 * attributed through the request context).
 */
export async function bootSurface(suite: string, env: Record<string, string> = {}): Promise<Surface> {
  // The database in its own process (its own core), the app and the test's client in this one.
  const [mongo, stripe, openai, feed] = await Promise.all([
    startMongoProcess(),
    FakeStripe.start(),
    FakeOpenAI.start(),
    FakeCoinbase.start(),
  ]);
  const app = await bootInProcess(suite, {
    APP_ROLE: 'api',
    LOG_LEVEL: 'fatal',
    RATE_LIMIT_MAX: '0',
    MONGO_URL: `${mongo.uri}&monitorCommands=true`,
    ...stripe.env(),
    AI_BASE_URL: openai.url,
    AI_API_KEY: 'sk-test-fake',
    ...feed.env(),
    CRYPTO_XPUB: new MerchantWallet().xpub,
    CRYPTO_RPC_URL: 'http://127.0.0.1:9',
    ...env,
  });
  const db = app.app.get<Connection>(getConnectionToken());
  const writesBy = new Map<string, Array<{ command: string; collection: string }>>();
  type Write = {
    id: string;
    command: string;
    collection: string;
    txn?: string;
  };
  const started = new Map<number, Write>();
  const inTxn = new Map<string, Write[]>();
  const record = (w: Write) =>
    writesBy.set(w.id, [...(writesBy.get(w.id) ?? []), { command: w.command, collection: w.collection }]);
  const txnOf = (cmd: any) =>
    cmd.lsid && cmd.txnNumber !== undefined
      ? `${Buffer.from(cmd.lsid.id.buffer ?? cmd.lsid.id).toString('hex')}:${String(cmd.txnNumber)}`
      : undefined;
  const client = db.getClient();
  client.on('commandStarted', (ev) => {
    if (!WRITES.has(ev.commandName) && ev.commandName !== 'commitTransaction') return;
    started.set(ev.requestId, {
      id: RequestContext.current()?.correlationId ?? '(none)',
      command: ev.commandName,
      collection: String(ev.command[ev.commandName]),
      txn: ev.command.autocommit === false || ev.commandName === 'commitTransaction' ? txnOf(ev.command) : undefined,
    });
  });
  client.on('commandFailed', (ev) => started.delete(ev.requestId));
  client.on('commandSucceeded', (ev) => {
    const w = started.get(ev.requestId);
    started.delete(ev.requestId);
    if (!w) return;
    if (w.command === 'commitTransaction') {
      for (const tw of inTxn.get(w.txn!) ?? []) record(tw);
      inTxn.delete(w.txn!);
      return;
    }
    const r: any = ev.reply;
    const changed =
      w.command === 'findAndModify'
        ? (r.lastErrorObject?.n ?? 0) > 0
        : w.command === 'update'
          ? (r.nModified ?? r.n ?? 0) > 0 || (r.upserted?.length ?? 0) > 0
          : (r.n ?? 0) > 0;
    if (!changed) return;
    if (w.txn) inTxn.set(w.txn, [...(inTxn.get(w.txn) ?? []), w]);
    else record(w);
  });
  const doc = await (await fetch(`${app.url}/docs/json`)).json();
  return {
    app,
    port: Number(new URL(app.url).port),
    doc,
    ops: operationsOf(doc),
    db,
    writesBy,
    close: async () => {
      await app.close();
      await Promise.all([mongo.stop('SIGKILL'), stripe.stop(), openai.stop(), feed.stop()]);
    },
  };
}

/** Per collection: document count and a hash of the documents in _id order (those `mention`ing a string, if given). */
export async function snapshot(db: Connection, mention?: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { name } of await db.db!.listCollections().toArray()) {
    const docs = (await db.db!.collection(name).find({}).sort({ _id: 1 }).toArray())
      .map((d) => EJSON.stringify(d))
      .filter((d) => !mention || d.includes(mention));
    out.set(name, `${docs.length}:${createHash('sha1').update(docs.join('\n')).digest('hex')}`);
  }
  return out;
}
