import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { catchError, concatMap, finalize, from, type Observable } from 'rxjs';
import { TransactionRunner, type CommitParticipant } from '../../database/index.js';
import { isMongoUnavailable } from '../problem/mongo-errors.js';
import { ProblemException, ProblemType } from '../problem/problem.js';
import { toProblem } from '../problem/to-problem.js';
import { requestFingerprint } from './fingerprint.js';
import { IdempotencyStore, type StoredResponse } from './idempotency.store.js';
import { IdempotentReplay } from './idempotent-replay.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;

/**
 * Stripe's Idempotency-Key semantics for every authenticated POST. The first completed response is
 * stored and replayed; a different request under the same key answers 422; the same key while the first
 * is still running answers 409. Validation failures (400), 429 and 5xx are not stored, so the client
 * can fix or retry the request under the same key.
 *
 * Every transaction the handler runs (TransactionRunner) also marks the key `committed`, with the
 * transaction's result as the response, before it commits. A request whose process dies after its
 * commit but before its response is recorded is thus never run again: once its lease is over, a retry
 * gets the committed response.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    @InjectPinoLogger('Idempotency') private readonly logger: PinoLogger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = request.headers[IDEMPOTENCY_HEADER];
    // Keys are scoped to a user; anonymous POSTs (webhooks) have no scope and ignore the header.
    if (request.method !== 'POST' || key === undefined || !request.user) return next.handle();
    if (typeof key !== 'string' || !KEY_FORMAT.test(key)) {
      throw ProblemException.validation([
        {
          field: 'Idempotency-Key',
          message: 'must be 1 to 255 printable ASCII characters, sent once',
        },
      ]);
    }
    const userId = request.user.id;
    const fingerprint = requestFingerprint(request.method, request.url, request.body);
    const reply = context.switchToHttp().getResponse<FastifyReply>();

    return from(this.store.claim(userId, key, fingerprint)).pipe(
      concatMap((claim) => {
        if (claim.kind === 'mismatch') {
          throw new ProblemException(
            422,
            'Idempotency-Key reused',
            'This Idempotency-Key was already used with a different request (method, path or body). Use a new key.',
            { type: ProblemType.idempotencyKeyReused },
          );
        }
        if (claim.kind === 'busy') {
          throw new ProblemException(
            409,
            'Request in progress',
            'A request with this Idempotency-Key is still being processed. Retry the same request shortly.',
            {
              type: ProblemType.idempotencyInProgress,
              headers: { 'Retry-After': '1' },
            },
          );
        }
        if (claim.kind === 'replay') throw new IdempotentReplay(claim.status, claim.body, claim.contentType);

        const { lockId } = claim;
        const successStatus =
          (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ?? 201;
        let handling = true;
        const participant: CommitParticipant = {
          beforeCommit: async (session, result) => {
            if (!handling) return; // a transaction started by work the request left behind
            const held = await this.store.markCommitted(
              userId,
              key,
              lockId,
              successResponse(successStatus, result),
              session,
            );
            if (!held) {
              // The lease ran out and another attempt took the key over: this one must not commit.
              throw new ProblemException(
                409,
                'Request in progress',
                'Another attempt of this request holds its Idempotency-Key now. Retry the same request shortly.',
                {
                  type: ProblemType.idempotencyInProgress,
                  headers: { 'Retry-After': '1' },
                },
              );
            }
          },
        };
        const heartbeat = setInterval(
          () => void this.store.extend(userId, key, lockId).catch(() => undefined),
          Math.max(1000, this.store.lockDurationMs / 3),
        );
        heartbeat.unref();
        return TransactionRunner.withParticipant(participant, () => next.handle()).pipe(
          concatMap(async (value) => {
            await this.finish(userId, key, lockId, {
              success: successResponse(reply.statusCode, value),
            });
            return value;
          }),
          catchError(async (err: unknown) => {
            const { problem } = toProblem(err);
            const storable = problem.status > 400 && problem.status < 500 && problem.status !== 429;
            const body = {
              ...problem,
              instance: request.url.split('?')[0],
              correlationId: String(request.id),
            };
            const settling = this.finish(userId, key, lockId, {
              failure: storable ? problemResponse(problem.status, body) : undefined,
            });
            // With the database unreachable, settling the key would only delay the 503 by another
            // server-selection timeout: it happens in the background (or the lease runs out).
            if (!isMongoUnavailable(err)) await settling;
            throw err;
          }),
          finalize(() => {
            handling = false;
            clearInterval(heartbeat);
          }),
        );
      }),
    );
  }

  /** Records the outcome; a failure here must not turn a completed request into an error. */
  private async finish(
    userId: string,
    key: string,
    lockId: string,
    outcome: { success?: StoredResponse; failure?: StoredResponse },
  ): Promise<void> {
    try {
      if (outcome.success) await this.store.complete(userId, key, lockId, outcome.success);
      else await this.store.fail(userId, key, lockId, outcome.failure);
    } catch (err) {
      this.logger.warn(
        { err, key },
        'could not record the outcome of an idempotent request; the key unlocks when its lease ends',
      );
    }
  }
}

function successResponse(status: number, value: unknown): StoredResponse {
  if (typeof value === 'string') return { status, body: value, contentType: 'text/plain; charset=utf-8' };
  return {
    status,
    body: value === undefined ? '' : JSON.stringify(value),
    contentType: 'application/json; charset=utf-8',
  };
}

function problemResponse(status: number, problem: object): StoredResponse {
  return {
    status,
    body: JSON.stringify(problem),
    contentType: 'application/problem+json',
  };
}
