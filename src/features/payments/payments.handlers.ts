import { Injectable, Logger } from '@nestjs/common';
import { TransactionRunner } from '../../platform/database/index.js';
import { EventPublisher, OnEvent, Subscriber, type DomainEvent } from '../../platform/events/index.js';
import { ExclusiveCron, type CronContext } from '../../platform/scheduling/index.js';
import { IntentProcessor } from './intent-processor.js';
import { OPEN_STATUSES, type OpenStatus } from './payment-status.js';
import {
  PaymentsWork,
  type IntentRequestedPayload,
  type ReconciliationRequestedPayload,
  type RefundRequestedPayload,
  type WebhookReceivedPayload,
} from './payments.events.js';
import { PaymentsSystemRepository } from './payments.repository.js';
import { PaymentsSettings, reconcileCronExpression } from './payments.settings.js';
import { RefundProcessor } from './refund-processor.js';
import type { RefundStatus } from './refund-status.js';
import { RefundsSystemRepository } from './refunds.repository.js';
import { WebhookProcessor } from './webhook-processor.js';

/** How many items of each kind (see findStuck) one tick queues at most. */
const RECONCILE_BATCH = 100;

/**
 * Keel's own unfinished work: a payment with no PaymentIntent yet, a refund not yet made at Stripe (their
 * deliveries were dead-lettered). The other open states wait on Stripe or the customer.
 */
const UNSENT_PAYMENTS: readonly OpenStatus[] = ['processing'];
const WAITING_PAYMENTS: readonly OpenStatus[] = OPEN_STATUSES.filter((s) => !UNSENT_PAYMENTS.includes(s));
const UNSENT_REFUNDS: readonly RefundStatus[] = ['requested'];
const WAITING_REFUNDS: readonly RefundStatus[] = ['pending', 'requires_action'];

/**
 * The payments feature's work at Stripe, run by the event bus. Every handler calls Stripe, so none runs
 * in the bus's transaction (`transaction: false`): each makes its call idempotent with a key derived from
 * our ids and commits its own state changes through the state machine. Errors Stripe may recover from
 * throw and are retried with backoff; permanent ones (PermanentError) go to the dead letters.
 */
@Subscriber('payments.stripe', { events: Object.values(PaymentsWork) })
@Injectable()
export class PaymentsHandlers {
  private readonly logger = new Logger('PaymentsReconciliation');

  constructor(
    private readonly intents: IntentProcessor,
    private readonly refunds: RefundProcessor,
    private readonly webhooks: WebhookProcessor,
    private readonly settings: PaymentsSettings,
    private readonly stalePayments: PaymentsSystemRepository,
    private readonly staleRefunds: RefundsSystemRepository,
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
  ) {}

  @OnEvent(PaymentsWork.intentRequested, { transaction: false })
  createIntent(event: DomainEvent<IntentRequestedPayload>): Promise<void> {
    return this.intents.createIntent(event.payload);
  }

  @OnEvent(PaymentsWork.refundRequested, { transaction: false })
  makeRefund(event: DomainEvent<RefundRequestedPayload>): Promise<void> {
    const { refundId, ...ref } = event.payload;
    return this.refunds.refund(ref, refundId);
  }

  @OnEvent(PaymentsWork.webhookReceived, { transaction: false })
  processWebhook(event: DomainEvent<WebhookReceivedPayload>): Promise<void> {
    return this.webhooks.process(event.payload.stripeEventId);
  }

  @OnEvent(PaymentsWork.reconciliationRequested, { transaction: false })
  async reconcile(event: DomainEvent<ReconciliationRequestedPayload>): Promise<void> {
    const { refundId, ...ref } = event.payload;
    if (refundId) await this.refunds.reconcile(ref, refundId);
    else await this.intents.reconcile(ref);
  }

  /**
   * Finds payments and refunds left in a non-final state for PAYMENTS_RECONCILE_AFTER_MS (a webhook that
   * never came, work that was dead-lettered) and queues a look at Stripe for each. Claiming moves the
   * item's checkedAt forward in the same transaction, so a rerun of the tick queues nothing twice.
   *
   * Keel's own unfinished work (no PaymentIntent yet, a refund not sent) has a batch of its own and goes
   * first: every open payment waiting on its customer is re-read too, and, oldest first in one batch, a
   * few thousand of those would keep a dead-lettered payment waiting for hundreds of ticks.
   */
  @ExclusiveCron(reconcileCronExpression(), { name: 'payments.reconcile', leaseMs: 60_000 })
  async findStuck(ctx: CronContext): Promise<void> {
    if (!this.settings.configured) return;
    const before = new Date(Date.now() - this.settings.reconcileAfterMs);
    const payments = async (statuses: readonly OpenStatus[]) =>
      (await this.stalePayments.stale(statuses, before, RECONCILE_BATCH)).map((p) => ({ ...p, refundId: undefined }));
    const items = [
      ...(await payments(UNSENT_PAYMENTS)),
      ...(await this.staleRefunds.stale(UNSENT_REFUNDS, before, RECONCILE_BATCH)),
      ...(await payments(WAITING_PAYMENTS)),
      ...(await this.staleRefunds.stale(WAITING_REFUNDS, before, RECONCILE_BATCH)),
    ];
    let queued = 0;
    for (const { paymentId, ownerId, refundId, checkedAt } of items) {
      if (ctx.signal.aborted) break;
      const claimed = await this.tx.run(async (session) => {
        const now = new Date();
        const won = refundId
          ? await this.staleRefunds.claim(refundId, checkedAt, now, session)
          : await this.stalePayments.claim(paymentId, checkedAt, now, session);
        if (!won) return false;
        await this.publisher.publish<ReconciliationRequestedPayload, string>(session, {
          type: PaymentsWork.reconciliationRequested,
          aggregateId: paymentId,
          payload: { paymentId, ownerId, ...(refundId ? { refundId } : {}) },
        });
        return true;
      });
      if (claimed) queued++;
    }
    if (queued > 0) this.logger.log(`queued ${queued} payment(s)/refund(s) for reconciliation with Stripe`);
  }
}
