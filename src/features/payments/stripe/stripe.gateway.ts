import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { AppConfig, BootError } from '../../../config/index.js';
import {
  StripeCardDeclined,
  StripeNotConfigured,
  StripeRejected,
  StripeSignatureInvalid,
  StripeUnavailable,
} from './stripe.errors.js';
import {
  PAYMENT_ID_KEY,
  REFUND_ID_KEY,
  toIntentSnapshot,
  toRefundSnapshot,
  type IntentSnapshot,
  type RefundSnapshot,
  type WebhookEvent,
} from './stripe.snapshots.js';

export interface CreateIntentInput {
  paymentId: string;
  amount: number;
  currency: string;
  description: string;
  metadata: Record<string, string>;
  /** Confirm at once with this PaymentMethod; otherwise the customer confirms with the client secret. */
  paymentMethod?: string;
}

export interface CreateRefundInput {
  refundId: string;
  paymentIntentId: string;
  amount: number;
}

/** Where the SDK sends requests: STRIPE_API_BASE (a local Stripe-compatible server in tests) or Stripe. */
export function apiAddress(base: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!base) return {};
  const url = new URL(base);
  // The SDK takes a host, port and protocol only: a path would be silently dropped.
  if (url.pathname !== '/' || url.search)
    throw new BootError(`STRIPE_API_BASE must be scheme://host[:port] without a path (got ${base})`);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

type StripeSdk = typeof Stripe;

/**
 * The one place keel talks to Stripe. Network retries are off: keel's event bus retries, with the same
 * idempotency key. Every SDK error leaves as StripeCardDeclined, StripeRejected or StripeUnavailable.
 * The SDK is imported on first use (the api role only verifies webhooks; most of its replicas never do).
 */
@Injectable()
export class StripeGateway {
  private readonly address: ReturnType<typeof apiAddress>;
  private client?: Promise<{ sdk: StripeSdk; stripe: Stripe }>;

  constructor(private readonly config: AppConfig) {
    // Checked at boot even though the SDK loads later.
    this.address = apiAddress(config.STRIPE_API_BASE);
  }

  private connect(): Promise<{ sdk: StripeSdk; stripe: Stripe }> | undefined {
    const key = this.config.STRIPE_SECRET_KEY;
    if (!key) return undefined;
    this.client ??= import('stripe').then(({ default: sdk }) => ({
      sdk,
      stripe: new sdk(key, {
        ...this.address,
        timeout: this.config.STRIPE_TIMEOUT_MS,
        maxNetworkRetries: 0,
        telemetry: false,
        appInfo: { name: 'keel' },
      }),
    }));
    return this.client;
  }

  async createIntent(input: CreateIntentInput, idempotencyKey: string): Promise<IntentSnapshot> {
    const params: Stripe.PaymentIntentCreateParams = {
      amount: input.amount,
      currency: input.currency,
      description: input.description,
      metadata: { ...input.metadata, [PAYMENT_ID_KEY]: input.paymentId },
      automatic_payment_methods: input.paymentMethod ? { enabled: true, allow_redirects: 'never' } : { enabled: true },
      ...(input.paymentMethod ? { payment_method: input.paymentMethod, confirm: true } : {}),
    };
    return this.call(async (stripe) =>
      toIntentSnapshot(await stripe.paymentIntents.create(params, { idempotencyKey })),
    );
  }

  retrieveIntent(id: string): Promise<IntentSnapshot> {
    return this.call(async (stripe) => toIntentSnapshot(await stripe.paymentIntents.retrieve(id)));
  }

  createRefund(input: CreateRefundInput, idempotencyKey: string): Promise<RefundSnapshot> {
    const params: Stripe.RefundCreateParams = {
      payment_intent: input.paymentIntentId,
      amount: input.amount,
      metadata: { [REFUND_ID_KEY]: input.refundId },
    };
    return this.call(async (stripe) => toRefundSnapshot(await stripe.refunds.create(params, { idempotencyKey })));
  }

  /** Every refund of a PaymentIntent, newest first. */
  listRefunds(paymentIntentId: string): Promise<RefundSnapshot[]> {
    return this.call(async (stripe) => {
      const out: RefundSnapshot[] = [];
      for await (const refund of stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 })) {
        out.push(toRefundSnapshot(refund));
      }
      return out;
    });
  }

  /** Checks the Stripe-Signature of a webhook's exact bytes (within STRIPE_WEBHOOK_TOLERANCE_S). */
  async verifyWebhook(rawBody: Buffer, signature: string | undefined): Promise<WebhookEvent> {
    const secret = this.config.STRIPE_WEBHOOK_SECRET;
    const client = this.connect();
    if (!client || !secret) throw new StripeNotConfigured('STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set');
    if (!signature) throw new StripeSignatureInvalid('the Stripe-Signature header is missing');
    const { stripe } = await client;
    let event: Stripe.Event;
    try {
      event = stripe.webhooks.constructEvent(rawBody, signature, secret, this.config.STRIPE_WEBHOOK_TOLERANCE_S);
    } catch (err) {
      throw new StripeSignatureInvalid(err instanceof Error ? err.message : String(err));
    }
    return {
      id: event.id,
      type: event.type,
      created: new Date(event.created * 1000),
      livemode: event.livemode,
      raw: rawBody.toString('utf8'),
    };
  }

  private async call<T>(work: (stripe: Stripe) => Promise<T>): Promise<T> {
    const client = this.connect();
    if (!client) throw new StripeNotConfigured('STRIPE_SECRET_KEY is not set');
    const { sdk, stripe } = await client;
    try {
      return await work(stripe);
    } catch (err) {
      throw translate(err, sdk.errors);
    }
  }
}

function translate(err: unknown, errors: StripeSdk['errors']): unknown {
  if (!(err instanceof errors.StripeError)) return err;
  const what = `Stripe ${err.statusCode ?? 'request'} ${err.type}${err.code ? `/${err.code}` : ''}: ${err.message}`;
  if (err instanceof errors.StripeCardError) {
    return new StripeCardDeclined(
      err.message,
      err.code,
      err.decline_code,
      err.payment_intent ? toIntentSnapshot(err.payment_intent) : undefined,
    );
  }
  if (
    err instanceof errors.StripeInvalidRequestError ||
    err instanceof errors.StripeAuthenticationError ||
    err instanceof errors.StripePermissionError ||
    err instanceof errors.StripeIdempotencyError
  ) {
    const code = err instanceof errors.StripeIdempotencyError ? 'idempotency_error' : err.code;
    return new StripeRejected(what, err.statusCode, code, err.param);
  }
  return new StripeUnavailable(what, err.statusCode);
}
