import type { ClientSession } from 'mongoose';

const STATE = Symbol('keel:events:after-commit');

interface CommitState<T> {
  pending: T[];
  listener: (items: T[]) => void;
}

type HookedSession<T> = ClientSession & { [STATE]?: CommitState<T> };

/**
 * Collects items on a session and hands them to `listener` once its transaction commits. It hooks the
 * session's own start/commit/abort methods, so it works whoever drives the transaction (TransactionRunner,
 * `withTransaction`, manual calls) and survives retries: a retried or aborted attempt drops what it
 * collected, and a commit retried after UnknownTransactionCommitResult reports once, on success.
 */
export function afterCommit<T>(session: ClientSession, items: T[], listener: (items: T[]) => void): void {
  const s = session as HookedSession<T>;
  let state = s[STATE];
  if (!state) {
    state = { pending: [], listener };
    s[STATE] = state;
    const st = state;
    const commit = s.commitTransaction.bind(s);
    const abort = s.abortTransaction.bind(s);
    const start = s.startTransaction.bind(s);
    s.commitTransaction = async (...args: Parameters<ClientSession['commitTransaction']>) => {
      const result = await commit(...args);
      const done = st.pending;
      st.pending = [];
      if (done.length > 0) st.listener(done);
      return result;
    };
    s.abortTransaction = async (...args: Parameters<ClientSession['abortTransaction']>) => {
      st.pending = [];
      return abort(...args);
    };
    s.startTransaction = (...args: Parameters<ClientSession['startTransaction']>) => {
      st.pending = [];
      return start(...args);
    };
  }
  state.pending.push(...items);
}
