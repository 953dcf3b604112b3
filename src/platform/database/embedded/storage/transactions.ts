import type { Document } from 'bson';
import type { Collection } from './collection.js';
import type { Doc } from './keys.js';

/**
 * Thrown at a plain (non-transaction) write that touches a document or unique key an open
 * transaction has written. MongoDB makes such a write wait for the transaction to end; the
 * command layer does the same: it awaits `holder.done` and runs the statement again.
 */
export class Blocked extends Error {
  constructor(readonly holder: Txn) {
    super('blocked by an open transaction');
  }
}

export type TxnState = 'active' | 'committed' | 'aborted';

/**
 * One multi-document transaction. Its writes live here, keyed by collection and document id, and
 * the documents it touched are locked in their collections until it ends. Readers outside see the
 * committed documents; the transaction's own reads overlay its writes. A write to a document that
 * someone else changed after the transaction started, or that another transaction holds, is a
 * WriteConflict (first writer wins), which the driver answers by retrying the whole transaction.
 */
export class Txn {
  state: TxnState = 'active';
  lastUsed = Date.now();
  readonly writes = new Map<Collection, Map<string, Doc | null>>();
  /** Unique keys reserved in collections, released when the transaction ends. */
  readonly reserved: [Collection, string][] = [];
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly txnNumber: number,
    readonly startVersion: number,
    private readonly onEnd: (txn: Txn) => void = () => {},
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  writesFor(coll: Collection): Map<string, Doc | null> | undefined {
    return this.writes.get(coll);
  }

  record(coll: Collection, id: string, doc: Doc | null): void {
    let w = this.writes.get(coll);
    if (!w) this.writes.set(coll, (w = new Map()));
    w.set(id, doc);
  }

  commit(version: number): void {
    if (this.state !== 'active') return;
    for (const [coll, w] of this.writes) {
      if (coll.dropped) continue;
      for (const [id, doc] of w) coll.applyCommitted(id, doc, version);
    }
    this.finish('committed');
  }

  abort(): void {
    if (this.state === 'active') this.finish('aborted');
  }

  private finish(state: TxnState): void {
    this.state = state;
    for (const [coll, w] of this.writes) for (const id of w.keys()) coll.release(id, this);
    for (const [coll, key] of this.reserved) coll.releaseKey(key, this);
    this.writes.clear();
    this.reserved.length = 0;
    this.onEnd(this);
    this.resolveDone();
  }
}

export class Session {
  lastUsed = Date.now();
  txnNumber = -1;
  txn?: Txn;
  /** The reply to the last retryable write, replayed when the driver retries the same txnNumber. */
  lastRetryable?: { txnNumber: number; reply: Document };
  constructor(readonly id: string) {}
}

/** How long an idle open transaction may hold its locks (MongoDB's transactionLifetimeLimitSeconds). */
const TXN_LIFETIME_MS = 60_000;
const SESSION_IDLE_MS = 30 * 60_000;

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  get(id: string): Session {
    let s = this.sessions.get(id);
    if (!s) this.sessions.set(id, (s = new Session(id)));
    s.lastUsed = Date.now();
    return s;
  }

  peek(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  end(id: string): void {
    this.sessions.get(id)?.txn?.abort();
    this.sessions.delete(id);
  }

  endAll(): void {
    for (const id of this.sessions.keys()) this.end(id);
  }

  sweep(now = Date.now()): void {
    for (const [id, s] of this.sessions) {
      if (s.txn?.state === 'active' && now - s.txn.lastUsed > TXN_LIFETIME_MS) s.txn.abort();
      if (now - s.lastUsed > SESSION_IDLE_MS) this.end(id);
    }
  }
}
