import { Injectable } from '@nestjs/common';
import type { ClientSession } from 'mongoose';
import { RequestContext, type RequestContextData } from '../../platform/context/index.js';
import { TransactionRunner, type CommitParticipant } from '../../platform/database/index.js';
import { EventPublisher, type EventDraft } from '../../platform/events/index.js';
import { isMongoUnavailable, type Owner } from '../../platform/http/index.js';
import type { CreatePaymentDto } from './dto/create-payment.dto.js';
import type { PaymentAcceptedDto } from './dto/payment.dto.js';
import { PaymentsWork, type IntentRequestedPayload } from './payments.events.js';
import { PaymentsRepository } from './payments.repository.js';

/** Payments committed in one transaction at most. */
const MAX_BATCH = 64;
/** Transactions of accepted payments in flight at once in this process. */
const MAX_IN_FLIGHT = 2;

interface Waiting {
  owner: Owner;
  dto: CreatePaymentDto;
  participant?: CommitParticipant;
  context?: RequestContextData;
  resolve(accepted: PaymentAcceptedDto): void;
  reject(err: unknown): void;
}

/**
 * Accepts payments: each payment and its `payments.intent.requested` work item commit together. Group
 * commit: while transactions are in flight, the payments that arrive wait and then go together in the
 * next one (one insert of the payments, one of their outbox records, one commit), so a busy api pays
 * the database's round trips once per batch instead of once per payment. An idle one commits each at
 * once, as before. Each request's Idempotency-Key record joins the transaction that commits its payment.
 * If a batch fails (other than for an unreachable database), its payments are retried one by one, so that
 * only the one at fault fails.
 */
@Injectable()
export class PaymentIntake {
  private queue: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
    private readonly payments: PaymentsRepository,
  ) {}

  /** Resolves with the answer to the request (the new payment's id and status) once it is committed. */
  accept(owner: Owner, dto: CreatePaymentDto): Promise<PaymentAcceptedDto> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        owner,
        dto,
        participant: TransactionRunner.participant(),
        context: RequestContext.current(),
        resolve,
        reject,
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
    try {
      // Each participant (the request's Idempotency-Key) records, with the commit, the response its
      // request gives, which a retry gets if this process dies before answering.
      const accepted = await this.tx.runBatch(
        batch.map((w) => w.participant),
        async (session) => (await this.write(batch, session)).map((id) => ({ id, status: 'processing' as const })),
      );
      batch.forEach((w, i) => w.resolve(accepted[i]!));
    } catch (err) {
      // One by one only when one of them may be at fault (an Idempotency-Key taken over): with the
      // database down, each would just wait out its own server-selection timeout.
      if (batch.length === 1 || isMongoUnavailable(err)) return batch.forEach((w) => w.reject(err));
      for (const one of batch) await this.commit([one]);
    }
  }

  private async write(batch: Waiting[], session: ClientSession): Promise<string[]> {
    const now = new Date();
    const docs = await this.payments.insertAll(
      batch.map(({ owner, dto }) => ({
        owner,
        data: {
          amount: dto.amount,
          currency: dto.currency,
          description: dto.description,
          metadata: dto.metadata ?? {},
          paymentMethod: dto.paymentMethod,
          status: 'processing' as const,
          amountRefunded: 0,
          amountRefunding: 0,
          checkedAt: now,
          history: [{ status: 'processing' as const, at: now, source: 'created' }],
        },
      })),
      session,
    );
    const ids = docs.map((d) => d._id.toHexString());
    await this.publisher.publish(
      session,
      batch.map((w, i): EventDraft<IntentRequestedPayload> => ({
        type: PaymentsWork.intentRequested,
        aggregateId: ids[i]!,
        payload: { paymentId: ids[i]!, ownerId: w.owner.id },
        context: w.context,
      })),
    );
    return ids;
  }
}
