import { Binary, UUID } from 'bson';
import { Codes, MongoCommandError, noSuchTransaction } from '../errors.js';
import type { Handler } from './context.js';

/** A session's registry key: the hex of its lsid's UUID. */
export function sessionKey(lsid: unknown): string | undefined {
  const id = (lsid as { id?: unknown } | null)?.id;
  if (id instanceof Binary) return Buffer.from(id.buffer).toString('hex');
  return undefined;
}

const commitTransaction: Handler = (cmd, ctx) => {
  const n = Number(cmd.txnNumber);
  const txn = ctx.session?.txnNumber === n ? ctx.session.txn : undefined;
  if (!txn || txn.state === 'aborted') throw noSuchTransaction(n);
  if (txn.state === 'active') ctx.engine.commit(txn);
  return { ok: 1 };
};

const abortTransaction: Handler = (cmd, ctx) => {
  const n = Number(cmd.txnNumber);
  const txn = ctx.session?.txnNumber === n ? ctx.session.txn : undefined;
  if (!txn || txn.state === 'aborted') throw noSuchTransaction(n);
  if (txn.state === 'committed') {
    throw new MongoCommandError(Codes.TransactionCommitted, `Transaction with { txnNumber: ${n} } has been committed.`);
  }
  txn.abort();
  return { ok: 1 };
};

const endSessions: Handler = (cmd, ctx) => {
  const list = Array.isArray(cmd.endSessions) ? cmd.endSessions : [];
  for (const lsid of list) {
    const key = sessionKey(lsid);
    if (key) ctx.engine.sessions.end(key);
  }
  return { ok: 1 };
};

const killSessions: Handler = (cmd, ctx) => {
  const list = Array.isArray(cmd.killSessions) ? cmd.killSessions : [];
  for (const lsid of list) {
    const key = sessionKey(lsid);
    if (key) ctx.engine.sessions.end(key);
  }
  return { ok: 1 };
};

export const sessionCommands: Record<string, Handler> = {
  commitTransaction,
  abortTransaction,
  endSessions,
  killSessions,
  killAllSessions: (_cmd, ctx) => {
    ctx.engine.sessions.endAll();
    return { ok: 1 };
  },
  refreshSessions: () => ({ ok: 1 }),
  startSession: () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 }),
};
