import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { AppConfig } from '../../config/index.js';
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
 * A transaction that did not settle in time. Its outcome is unknown: answered 503, like a network error
 * during a commit (an Idempotency-Key retry then gets what it committed, if it did).
 */
export class TransactionDeadlineError extends Error {
  override readonly name = 'TransactionDeadlineError';
}

/**
 * Runs a unit of work in one MongoDB transaction. Mongoose's `connection.transaction()` retries on
 * TransientTransactionError / UnknownTransactionCommitResult and resets document state between tries,
 * so `work` must be safe to run more than once (it usually is: it only reads and writes via `session`).
 */
@Injectable()
export class TransactionRunner {
  private readonly deadlineMs: number;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    config: AppConfig,
  ) {
    this.deadlineMs = config.MONGO_TRANSACTION_TIMEOUT_MS;
  }

  /** Runs `fn` so that every transaction started inside it (its async continuations included) joins `participant`. */
  static withParticipant<T>(participant: CommitParticipant, fn: () => T): T {
    return participants.run(participant, fn);
  }

  /** The participant of the calling context: what a group commit run elsewhere must carry for this caller. */
  static participant(): CommitParticipant | undefined {
    return participants.getStore();
  }

  run<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const participant = participants.getStore();
    if (!participant) return this.transaction(work);
    return this.transaction(async (session) => {
      const result = await work(session);
      await participant.beforeCommit(session, result);
      return result;
    });
  }

  /**
   * Group commit: one transaction doing the work of several callers, each of which may bring a
   * participant (`TransactionRunner.participant()` in its own context). `work` returns one result per
   * caller, in order; each participant joins with its caller's result. Any failure aborts them all.
   */
  runBatch<T>(
    callers: ReadonlyArray<CommitParticipant | undefined>,
    work: (session: ClientSession) => Promise<T[]>,
  ): Promise<T[]> {
    return this.transaction(async (session) => {
      const results = await work(session);
      for (const [i, participant] of callers.entries()) await participant?.beforeCommit(session, results[i]);
      return results;
    });
  }

  private transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const running = this.connection
      .transaction(work, {
        readConcern: { level: 'snapshot' },
        writeConcern: { w: 'majority' },
      })
      .catch((err: unknown) => {
        throw commitOutcomeUnknown(err);
      });
    // A statement or an abort caught by a connection reset can wait forever for a socket 'drain' that
    // never comes (mongodb 7.8, whose timeoutMS is ignored), holding its request and the request's
    // Idempotency-Key with it: give up waiting.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TransactionDeadlineError(
              `the MongoDB transaction did not settle within ${this.deadlineMs} ms (MONGO_TRANSACTION_TIMEOUT_MS); its outcome is unknown`,
            ),
          ),
        this.deadlineMs,
      );
    });
    return Promise.race([running, deadline]).finally(() => clearTimeout(timer));
  }
}
