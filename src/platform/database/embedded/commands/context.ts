import type { Document, ObjectId } from 'bson';
import { Codes, MongoCommandError } from '../errors.js';
import type { Collection } from '../storage/collection.js';
import type { Engine } from '../storage/engine.js';
import type { Doc } from '../storage/keys.js';
import { Blocked, type Session, type Txn } from '../storage/transactions.js';

export interface ServerIdentity {
  /** host:port as advertised in hello (hosts, me, primary). */
  address: string;
  setName: string;
  processId: ObjectId;
  connectionId: number;
  /** The client's address, for whatsmyuri. */
  peer?: string;
  openConnections?: () => number;
}

export interface CommandContext {
  engine: Engine;
  db: string;
  server: ServerIdentity;
  session?: Session;
  /** Set when the command is part of a multi-document transaction. */
  txn?: Txn;
  /** Milliseconds a plain write may wait for a transaction holding its documents. */
  maxWaitMs: number;
  /** Aborted when the client's connection closes or the server stops. */
  signal?: AbortSignal;
}

export type Handler = (cmd: Document, ctx: CommandContext) => Document | Promise<Document>;

/** The collection name a command names in its first field, validated. */
export function collectionName(cmd: Document): string {
  const name = cmd[Object.keys(cmd)[0]];
  if (typeof name !== 'string' || name.length === 0) {
    throw new MongoCommandError(Codes.InvalidNamespace, `collection name has invalid type ${typeof name}`);
  }
  return name;
}

export function existing(ctx: CommandContext, name: string): Collection | undefined {
  return ctx.engine.collection(ctx.db, name);
}

export function optionalDoc(v: unknown, field: string): Doc | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new MongoCommandError(
      Codes.TypeMismatch,
      `BSON field '${field}' is the wrong type '${Array.isArray(v) ? 'array' : typeof v}', expected type 'object'`,
    );
  }
  return v as Doc;
}

/** Resolves when `done` settles or after `ms`, whichever is first, leaving no timer behind. */
function waitAtMost(done: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([done, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs a synchronous unit of work, waiting and retrying while it is blocked by an open transaction
 * (see Blocked). The unit must throw Blocked before changing anything.
 */
export async function untilUnblocked<T>(ctx: CommandContext, unit: () => T): Promise<T> {
  const deadline = Date.now() + ctx.maxWaitMs;
  for (;;) {
    try {
      return unit();
    } catch (err) {
      if (!(err instanceof Blocked)) throw err;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new MongoCommandError(
          Codes.MaxTimeMSExpired,
          'operation exceeded time limit while waiting for a transaction to finish',
        );
      }
      await waitAtMost(err.holder.done, left);
    }
  }
}

/** Runs per-statement work, turning a statement's error into a writeErrors entry (or stopping, if ordered). */
export async function eachStatement<S>(
  ctx: CommandContext,
  statements: S[],
  ordered: boolean,
  run: (stmt: S, index: number) => Promise<void>,
): Promise<Document[]> {
  const writeErrors: Document[] = [];
  for (let i = 0; i < statements.length; i++) {
    try {
      await run(statements[i], i);
    } catch (err) {
      // Inside a transaction a conflict fails the whole command, labelled for the driver to retry.
      if (!(err instanceof MongoCommandError) || (ctx.txn && err.code === Codes.WriteConflict)) throw err;
      writeErrors.push(err.toWriteError(i));
      if (ordered || ctx.txn) break;
    }
  }
  return writeErrors;
}

export function statementsOf(cmd: Document, field: string): Doc[] {
  const list = cmd[field];
  if (!Array.isArray(list))
    throw new MongoCommandError(Codes.FailedToParse, `BSON field '${field}' is missing but a required field`);
  return list as Doc[];
}
