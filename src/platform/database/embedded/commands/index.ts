import type { Document } from 'bson';
import { Codes, MongoCommandError, noSuchTransaction } from '../errors.js';
import type { Txn } from '../storage/transactions.js';
import { adminCommands } from './admin.js';
import { aggregateCommands } from './aggregate.js';
import type { CommandContext, Handler } from './context.js';
import { findAndModifyCommands } from './find-and-modify.js';
import { findCommands } from './find.js';
import { handshakeCommands } from './handshake.js';
import { indexCommands } from './indexes.js';
import { sessionCommands, sessionKey } from './sessions.js';
import { writeCommands } from './write.js';

const HANDLERS = new Map<string, Handler>(
  Object.entries({
    ...handshakeCommands,
    ...adminCommands,
    ...findCommands,
    ...aggregateCommands,
    ...writeCommands,
    ...findAndModifyCommands,
    ...indexCommands,
    ...sessionCommands,
  }),
);

/** Writes whose reply is remembered per session, so a driver retry of the same txnNumber is not applied twice. */
const RETRYABLE = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);
const TXN_CONTROL = new Set(['commitTransaction', 'abortTransaction']);
const ALLOWED_IN_TXN = new Set([
  'find',
  'getMore',
  'killCursors',
  'aggregate',
  'distinct',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  'create',
  'createIndexes',
  'hello',
  'isMaster',
  'ismaster',
  'ping',
]);

export type BaseContext = Omit<CommandContext, 'session' | 'txn'>;

export interface DispatchLogger {
  error(msg: string): void;
}

/** Runs one command and always returns a reply document: errors become `{ ok: 0, code, codeName, errmsg }`. */
export async function dispatch(cmd: Document, base: BaseContext, logger: DispatchLogger): Promise<Document> {
  const name = Object.keys(cmd)[0] ?? '';
  const handler = HANDLERS.get(name);
  if (!handler) return new MongoCommandError(Codes.CommandNotFound, `no such command: '${name}'`).toReply();
  const ctx: CommandContext = { ...base };
  const maxTimeMS = Number(cmd.maxTimeMS);
  if (maxTimeMS > 0) ctx.maxWaitMs = Math.min(ctx.maxWaitMs, maxTimeMS);
  try {
    const key = sessionKey(cmd.lsid);
    if (key) ctx.session = ctx.engine.sessions.get(key);
    const txnNumber = cmd.txnNumber === undefined || cmd.txnNumber === null ? undefined : Number(cmd.txnNumber);
    if (ctx.session && txnNumber !== undefined && cmd.autocommit === false) {
      if (!TXN_CONTROL.has(name)) ctx.txn = joinTransaction(ctx, cmd, name, txnNumber);
    } else if (ctx.session && txnNumber !== undefined && RETRYABLE.has(name)) {
      const last = ctx.session.lastRetryable;
      if (last && last.txnNumber === txnNumber) return last.reply;
      const reply = await handler(cmd, ctx);
      ctx.session.lastRetryable = { txnNumber, reply };
      return reply;
    }
    const reply = await handler(cmd, ctx);
    // MongoDB aborts a transaction whose statement failed; the commit then reports NoSuchTransaction.
    if (ctx.txn && Array.isArray(reply.writeErrors) && reply.writeErrors.length > 0) ctx.txn.abort();
    return reply;
  } catch (err) {
    ctx.txn?.abort();
    if (err instanceof MongoCommandError) return err.toReply();
    logger.error(`embedded mongo: command '${name}' failed: ${(err as Error)?.stack ?? String(err)}`);
    return new MongoCommandError(
      Codes.InternalError,
      `internal error in '${name}': ${(err as Error)?.message ?? String(err)}`,
    ).toReply();
  }
}

function joinTransaction(ctx: CommandContext, cmd: Document, name: string, txnNumber: number): Txn {
  const session = ctx.session!;
  if (txnNumber < session.txnNumber) {
    throw new MongoCommandError(
      Codes.TransactionTooOld,
      `Cannot start transaction ${txnNumber} on session because a newer transaction ${session.txnNumber} has already started`,
    );
  }
  if (!ALLOWED_IN_TXN.has(name)) {
    throw new MongoCommandError(
      Codes.OperationNotSupportedInTransaction,
      `Cannot run '${name}' in a multi-document transaction.`,
    );
  }
  if (cmd.startTransaction === true) {
    if (txnNumber === session.txnNumber && session.txn) {
      throw new MongoCommandError(Codes.BadValue, `Transaction ${txnNumber} has already been started on this session`);
    }
    session.txn?.abort();
    session.txn = ctx.engine.beginTxn(txnNumber);
    session.txnNumber = txnNumber;
    return session.txn;
  }
  const txn = session.txn;
  if (session.txnNumber !== txnNumber || !txn || txn.state === 'aborted') throw noSuchTransaction(txnNumber);
  if (txn.state === 'committed') {
    throw new MongoCommandError(
      Codes.TransactionCommitted,
      `Transaction with { txnNumber: ${txnNumber} } has been committed.`,
    );
  }
  txn.lastUsed = Date.now();
  return txn;
}
