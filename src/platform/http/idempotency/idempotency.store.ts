import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import type { ClientSession, Model } from 'mongoose';
import { AppConfig } from '../../../config/index.js';
import { duplicateKeyFields } from '../problem/mongo-errors.js';
import { IDEMPOTENCY_MODEL, type IdempotencyRecord } from './idempotency.schema.js';

export type Claim =
  | { kind: 'run'; lockId: string }
  | { kind: 'replay'; status: number; body: string; contentType: string }
  | { kind: 'mismatch' }
  | { kind: 'busy' };

export interface StoredResponse {
  status: number;
  body: string;
  contentType: string;
}

/** Idempotency records in MongoDB (unique per user and key, TTL-expired), so they outlive a Redis loss. */
@Injectable()
export class IdempotencyStore implements OnModuleInit {
  private readonly ttlMs: number;
  private readonly lockMs: number;

  constructor(
    @InjectModel(IDEMPOTENCY_MODEL)
    private readonly model: Model<IdempotencyRecord>,
    config: AppConfig,
  ) {
    this.ttlMs = config.IDEMPOTENCY_TTL_S * 1000;
    this.lockMs = config.IDEMPOTENCY_LOCK_S * 1000;
  }

  get lockDurationMs(): number {
    return this.lockMs;
  }

  async onModuleInit(): Promise<void> {
    // The unique index is what makes two concurrent first requests safe: it must exist before any request.
    await this.model.createIndexes();
  }

  /** Claims the key for this request, or says what to answer instead. */
  async claim(userId: string, key: string, fingerprint: string): Promise<Claim> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      const lockId = randomUUID();
      const fresh = {
        fingerprint,
        state: 'running' as const,
        lockId,
        lockedUntil: new Date(now + this.lockMs),
        expiresAt: new Date(now + this.ttlMs),
      };
      try {
        await this.model.create({ userId, key, ...fresh });
        return { kind: 'run', lockId };
      } catch (err) {
        if (!duplicateKeyFields(err)) throw err;
      }
      // Expired records count as absent; a running record whose holder died (lease over) can be taken over,
      // unless the holder's transaction committed: then its effects exist and must not be made again.
      const taken = await this.model
        .findOneAndUpdate(
          {
            userId,
            key,
            $or: [
              { expiresAt: { $lte: new Date(now) } },
              {
                state: 'running',
                fingerprint,
                lockedUntil: { $lte: new Date(now) },
                committed: { $exists: false },
              },
            ],
          },
          { $set: fresh, $unset: { status: 1, body: 1, contentType: 1 } },
        )
        .lean()
        .exec();
      if (taken) return { kind: 'run', lockId };
      const existing = await this.model.findOne({ userId, key }).lean().exec();
      if (!existing) continue; // removed between our two queries: try again
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (
        existing.state === 'running' &&
        existing.committed &&
        existing.lockedUntil &&
        existing.lockedUntil.getTime() <= now
      ) {
        // The holder died between its commit and recording its response: what it committed is the answer.
        await this.complete(userId, key, existing.lockId!, existing.committed);
        return { kind: 'replay', ...existing.committed };
      }
      if (existing.state === 'done') {
        return {
          kind: 'replay',
          status: existing.status!,
          body: existing.body ?? '',
          contentType: existing.contentType!,
        };
      }
      return { kind: 'busy' };
    }
    return { kind: 'busy' };
  }

  /** Stores the first completed response; kept (and replayed) for IDEMPOTENCY_TTL_S from now. */
  async complete(userId: string, key: string, lockId: string, response: StoredResponse): Promise<void> {
    await this.model
      .updateOne(
        { userId, key, lockId },
        {
          $set: {
            state: 'done',
            ...response,
            expiresAt: new Date(Date.now() + this.ttlMs),
          },
          $unset: { lockId: 1, lockedUntil: 1, committed: 1 },
        },
      )
      .exec();
  }

  /**
   * Records, in the request's transaction, that its effects are committed and what to answer if the
   * process dies before `complete`. False when the request no longer holds the key (its lease ran out
   * and another request took it over): the caller must then abort its transaction.
   */
  async markCommitted(
    userId: string,
    key: string,
    lockId: string,
    response: StoredResponse,
    session: ClientSession,
  ): Promise<boolean> {
    const res = await this.model
      .updateOne({ userId, key, lockId, state: 'running' }, { $set: { committed: response } }, { session })
      .exec();
    return res.matchedCount === 1;
  }

  /**
   * Settles a request that failed: a storable answer (`response`) is kept for replay, otherwise the key is
   * freed so a retry runs (validation failure, 5xx). If the request's transaction had committed before it
   * failed, its effects exist: the committed response is kept instead, so a retry does not repeat them.
   */
  async fail(userId: string, key: string, lockId: string, response?: StoredResponse): Promise<void> {
    // One round trip when nothing was committed (the usual case); a committed request's key is kept.
    const uncommitted = {
      userId,
      key,
      lockId,
      state: 'running' as const,
      committed: { $exists: false },
    };
    const settled = response
      ? (
          await this.model
            .updateOne(uncommitted, {
              $set: {
                state: 'done',
                ...response,
                expiresAt: new Date(Date.now() + this.ttlMs),
              },
              $unset: { lockId: 1, lockedUntil: 1 },
            })
            .exec()
        ).matchedCount
      : (await this.model.deleteOne(uncommitted).exec()).deletedCount;
    if (settled > 0) return;
    const held = await this.model.findOne({ userId, key, lockId, state: 'running' }).lean().exec();
    if (held?.committed) await this.complete(userId, key, lockId, held.committed);
  }

  /** Extends the lease of a request that is still running. */
  async extend(userId: string, key: string, lockId: string): Promise<void> {
    await this.model
      .updateOne(
        { userId, key, lockId, state: 'running' },
        { $set: { lockedUntil: new Date(Date.now() + this.lockMs) } },
      )
      .exec();
  }
}
