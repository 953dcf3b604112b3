import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../../platform/database/index.js';
import { EventPublisher } from '../../platform/events/index.js';
import { ProblemException, type AuthUser } from '../../platform/http/index.js';
import type { CreatePaymentDto, CreateRefundDto } from './dto/create-payment.dto.js';
import type { ListPaymentsQuery } from './dto/list-payments.query.js';
import type { PaymentAcceptedDto, PaymentDto, PaymentPageDto, RefundDto } from './dto/payment.dto.js';
import { PaymentIntake } from './payment-intake.js';
import { PaymentsWork, type RefundRequestedPayload } from './payments.events.js';
import { decodeCursor, encodeCursor, toPaymentDto, toRefundDto } from './payments.mappers.js';
import { PaymentsRepository } from './payments.repository.js';
import { RefundsRepository } from './refunds.repository.js';

/**
 * The payment API's rules. Accepting a payment or a refund writes it and the work item that makes it
 * happen at Stripe in one transaction; the answer (202) comes before Stripe is called.
 */
@Injectable()
export class PaymentsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly publisher: EventPublisher,
    private readonly payments: PaymentsRepository,
    private readonly refunds: RefundsRepository,
    private readonly intake: PaymentIntake,
  ) {}

  /** Accepted once the payment and its work item are committed (PaymentIntake, in a group commit). */
  create(user: AuthUser, dto: CreatePaymentDto): Promise<PaymentAcceptedDto> {
    return this.intake.accept(user, dto);
  }

  async get(user: AuthUser, id: string): Promise<PaymentDto> {
    const payment = await this.payments.findById(user, id);
    if (!payment) throw ProblemException.notFound(`No payment ${id}.`);
    return toPaymentDto(payment, true);
  }

  async list(user: AuthUser, query: ListPaymentsQuery): Promise<PaymentPageDto> {
    const limit = query.limit ?? 20;
    const beforeId = query.cursor ? decodeCursor(query.cursor) : undefined;
    const page = await this.payments.page(user, { status: query.status, beforeId, limit: limit + 1 });
    const items = page.slice(0, limit);
    return {
      items: items.map((p) => toPaymentDto(p, false)),
      nextCursor: page.length > limit ? encodeCursor(items.at(-1)!._id.toHexString()) : null,
    };
  }

  /** Reserves the amount on the payment and queues the refund; 422 when that much is not refundable. */
  refund(user: AuthUser, paymentId: string, dto: CreateRefundDto): Promise<RefundDto> {
    return this.tx.run(async (session) => {
      const payment = await this.payments.read(user, paymentId, session);
      if (!payment) throw ProblemException.notFound(`No payment ${paymentId}.`);
      const refundable =
        payment.status === 'succeeded' ? payment.amount - payment.amountRefunded - payment.amountRefunding : 0;
      const amount = dto.amount ?? refundable;
      if (
        refundable <= 0 ||
        amount > refundable ||
        !(await this.payments.reserveRefund(user, paymentId, amount, session))
      ) {
        throw ProblemException.businessRule(
          'Refund exceeds the refundable amount',
          payment.status === 'succeeded' || payment.status === 'refunded'
            ? `At most ${Math.max(refundable, 0)} (minor units of ${payment.currency}) can still be refunded on this payment; ${amount} was asked.`
            : `Only a succeeded payment can be refunded; this one is ${payment.status}.`,
        );
      }
      const refund = await this.refunds.create(
        user,
        { paymentId, amount, currency: payment.currency, status: 'requested', origin: 'keel', checkedAt: new Date() },
        { session },
      );
      const refundId = refund._id.toHexString();
      await this.publisher.publish<RefundRequestedPayload, string>(session, {
        type: PaymentsWork.refundRequested,
        aggregateId: paymentId,
        payload: { refundId, paymentId, ownerId: user.id },
      });
      return toRefundDto(refund);
    });
  }

  async refundsOf(user: AuthUser, paymentId: string): Promise<RefundDto[]> {
    if (!(await this.payments.findById(user, paymentId))) throw ProblemException.notFound(`No payment ${paymentId}.`);
    return (await this.refunds.forPayment(user, paymentId)).map(toRefundDto);
  }
}
