import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AiJobCompletedPayload, AiJobFailedPayload } from '../../../src/features/ai-jobs/ai-jobs.events.js';
import type { CryptoDepositConfirmedPayload } from '../../../src/features/crypto/crypto.events.js';
import type {
  PaymentFailedPayload,
  PaymentRefundedPayload,
  PaymentSucceededPayload,
} from '../../../src/features/payments/payments.events.js';
import { TransactionRunner } from '../../../src/platform/database/index.js';
import { EventPublisher } from '../../../src/platform/events/index.js';

/**
 * Publishes the events messaging notifies about, the way their features do (EventPublisher in a
 * transaction), so a suite can stand in for payments, ai-jobs and crypto. Resolves with how long the
 * publishing transaction took.
 */
export async function publish(
  app: NestFastifyApplication,
  type: string,
  aggregateId: string,
  payload: object,
): Promise<number> {
  const started = performance.now();
  await app
    .get(TransactionRunner)
    .run((session) => app.get(EventPublisher).publish(session, { type, aggregateId, payload }));
  return performance.now() - started;
}

export const sample = {
  paymentSucceeded: (ownerId: string, paymentId = 'pay_1'): PaymentSucceededPayload => ({
    paymentId,
    ownerId,
    amount: 1234,
    currency: 'usd',
    stripePaymentIntentId: 'pi_1',
  }),
  paymentFailed: (ownerId: string): PaymentFailedPayload => ({
    paymentId: 'pay_2',
    ownerId,
    amount: 500,
    currency: 'jpy',
    status: 'failed',
    reason: 'card_declined',
    message: 'Your card was declined.',
  }),
  paymentRefunded: (ownerId: string): PaymentRefundedPayload => ({
    paymentId: 'pay_1',
    ownerId,
    refundId: 'r1',
    stripeRefundId: 're_1',
    amount: 234,
    currency: 'usd',
    amountRefunded: 234,
    fullyRefunded: false,
  }),
  aiCompleted: (ownerId: string): AiJobCompletedPayload => ({
    jobId: 'job_1',
    ownerId,
    task: 'summarize',
    model: 'gpt-4o-mini',
    result: { text: 'A short summary.' },
    attempts: 1,
    durationMs: 900,
  }),
  aiFailed: (ownerId: string): AiJobFailedPayload => ({
    jobId: 'job_2',
    ownerId,
    task: 'classify',
    error: { code: 'rate-limited', message: 'The provider kept answering 429.' },
    attempts: 3,
  }),
  depositConfirmed: (ownerId: string): CryptoDepositConfirmedPayload => ({
    depositId: 'dep_1',
    ownerId,
    quoteId: 'q_1',
    asset: 'USDC',
    address: '0x0000000000000000000000000000000000000001',
    amount: '1500000',
    received: '1500000',
    payment: 'exact',
    status: 'confirmed',
    confirmations: 12,
    fiatAmount: '1.50',
    fiatCurrency: 'USD',
    excess: '0',
    txHashes: ['0xabc'],
  }),
};
