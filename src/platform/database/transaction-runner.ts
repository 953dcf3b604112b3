import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientSession, Connection } from 'mongoose';

/**
 * Something that must commit (or abort) together with every transaction run in its scope: the
 * Idempotency-Key of the request that runs it records, in the same transaction, that the request's
 * effects are committed.
 */
export interface CommitParticipant {
  /** Runs in the transaction after the work, before the commit; throwing aborts the transaction. */
  beforeCommit(session: ClientSession, result: unknown): Promise<void>;
}

const participants = new AsyncLocalStorage<CommitParticipant>();

/**
 * The driver (mongodb 7.8) can reject a commit with a raw socket error when the connection is reset
 * while it waits for the socket to drain; its withTransaction then fails with this TypeError instead of
 * the network error. The commit's outcome is unknown, as after any network error during a commit: say so
 * as a MongoNetworkError (answered 503, and an Idempotency-Key retry is safe) rather than a bug (500).
 */
function commitOutcomeUnknown(err: unknown): unknown {
  if (!(err instanceof TypeError) || !/hasErrorLabel is not a function/.test(err.message)) return err;
  const wrapped = new Error('the connection to MongoDB was lost during the transaction; its outcome is unknown', {
    cause: err,
  });
  wrapped.name = 'MongoNetworkError';
  return wrapped;
}

/**
 * Runs a unit of work in one MongoDB transaction. Mongoose's `connection.transaction()` retries on
 * TransientTransactionError / UnknownTransactionCommitResult and resets document state between tries,
 * so `work` must be safe to run more than once (it usually is: it only reads and writes via `session`).
 */
@Injectable()
export class TransactionRunner {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  /** Runs `fn` so that every transaction started inside it (its async continuations included) joins `participant`. */
  static withParticipant<T>(participant: CommitParticipant, fn: () => T): T {
    return participants.run(participant, fn);
  }

  run<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const participant = participants.getStore();
    return this.connection
      .transaction(
        participant
          ? async (session) => {
              const result = await work(session);
              await participant.beforeCommit(session, result);
              return result;
            }
          : work,
        {
          readConcern: { level: 'snapshot' },
          writeConcern: { w: 'majority' },
        },
      )
      .catch((err: unknown) => {
        throw commitOutcomeUnknown(err);
      });
  }
}
