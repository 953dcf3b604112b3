import { randomBytes } from 'node:crypto';
import { StripeHttpError } from './stripe-error.js';

type Obj = Record<string, any>;

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const now = () => Math.floor(Date.now() / 1000);
const copy = <T>(o: T): T => structuredClone(o);

/** Currencies the fake accepts, with Stripe's minimum charge amount in minor units. */
const MINIMUM: Record<string, number> = { usd: 50, eur: 50, gbp: 30, chf: 50, cad: 50, aud: 50, jpy: 50, sek: 300 };

/** Stripe's test PaymentMethods that decline, with the decline code they produce. */
const DECLINES: Record<string, string> = {
  pm_card_chargeDeclined: 'generic_decline',
  pm_card_visa_chargeDeclined: 'generic_decline',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds',
};

/**
 * The objects the fake keeps (PaymentIntents, Charges, Refunds) and the state changes Stripe makes to
 * them, including the events each change produces. Only what keel uses is modelled.
 */
export class StripeLedger {
  readonly intents = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();

  constructor(private readonly emit: (type: string, object: Obj) => void) {}

  createIntent(p: Obj): Obj {
    const amount = Number(p.amount);
    if (p.amount === undefined)
      throw StripeHttpError.invalid('Missing required param: amount.', 'parameter_missing', 'amount');
    if (!Number.isInteger(amount) || amount < 1)
      throw StripeHttpError.invalid('Invalid integer: amount', 'parameter_invalid_integer', 'amount');
    const currency = String(p.currency ?? '').toLowerCase();
    if (!(currency in MINIMUM))
      throw StripeHttpError.invalid(`Invalid currency: ${currency}.`, 'parameter_invalid', 'currency', true);
    if (amount < MINIMUM[currency]!) {
      throw StripeHttpError.invalid(
        `Amount must be at least ${MINIMUM[currency]} ${currency}`,
        'amount_too_small',
        'amount',
        true,
      );
    }
    const pi: Obj = {
      id: id('pi'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency,
      description: p.description ?? null,
      metadata: p.metadata ?? {},
      status: 'requires_payment_method',
      client_secret: '',
      created: now(),
      livemode: false,
      payment_method: null,
      latest_charge: null,
      last_payment_error: null,
      cancellation_reason: null,
    };
    pi.client_secret = `${pi.id}_secret_${randomBytes(8).toString('hex')}`;
    this.intents.set(pi.id, pi);
    this.emit('payment_intent.created', pi);
    if (p.confirm === 'true') return this.confirm(pi.id, p);
    return copy(pi);
  }

  intent(piId: string): Obj {
    const pi = this.intents.get(piId);
    if (!pi) throw StripeHttpError.missing('payment_intent', piId);
    return pi;
  }

  /** Confirms with `payment_method`: succeeds, or declines (402) for Stripe's declining test cards. */
  confirm(piId: string, p: Obj): Obj {
    const pi = this.intent(piId);
    if (!['requires_payment_method', 'requires_confirmation'].includes(pi.status)) {
      throw StripeHttpError.invalid(
        `This PaymentIntent's status is ${pi.status}, so it cannot be confirmed.`,
        'payment_intent_unexpected_state',
        undefined,
        true,
      );
    }
    const pm = String(p.payment_method ?? '');
    if (!pm.startsWith('pm_card_'))
      throw StripeHttpError.invalid(`No such PaymentMethod: '${pm}'`, 'resource_missing', 'payment_method', true);
    pi.payment_method = pm;
    const decline = DECLINES[pm];
    if (decline) {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = {
        type: 'card_error',
        code: 'card_declined',
        decline_code: decline,
        message: 'Your card was declined.',
      };
      this.emit('payment_intent.payment_failed', pi);
      throw new StripeHttpError(402, { ...pi.last_payment_error, payment_intent: copy(pi) });
    }
    const charge: Obj = {
      id: id('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_refunded: 0,
      refunded: false,
      currency: pi.currency,
      payment_intent: pi.id,
      status: 'succeeded',
      metadata: {},
      created: now(),
    };
    this.charges.set(charge.id, charge);
    Object.assign(pi, {
      status: 'succeeded',
      amount_received: pi.amount,
      latest_charge: charge.id,
      last_payment_error: null,
    });
    this.emit('charge.succeeded', charge);
    this.emit('payment_intent.succeeded', pi);
    return copy(pi);
  }

  cancel(piId: string, p: Obj): Obj {
    const pi = this.intent(piId);
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      throw StripeHttpError.invalid(
        `This PaymentIntent's status is ${pi.status}, so it cannot be canceled.`,
        'payment_intent_unexpected_state',
        undefined,
        true,
      );
    }
    Object.assign(pi, { status: 'canceled', cancellation_reason: p.cancellation_reason ?? 'requested_by_customer' });
    this.emit('payment_intent.canceled', pi);
    return copy(pi);
  }

  createRefund(p: Obj): Obj {
    if (!p.payment_intent)
      throw StripeHttpError.invalid('Missing required param: payment_intent.', 'parameter_missing', 'payment_intent');
    const pi = this.intent(String(p.payment_intent));
    const charge = pi.latest_charge ? this.charges.get(pi.latest_charge) : undefined;
    if (!charge)
      throw StripeHttpError.invalid(
        `PaymentIntent ${pi.id} does not have a successful charge to refund.`,
        'charge_not_refundable',
        undefined,
        true,
      );
    const left = charge.amount - charge.amount_refunded;
    const amount = p.amount === undefined ? left : Number(p.amount);
    if (left <= 0)
      throw StripeHttpError.invalid(
        `Charge ${charge.id} has already been refunded.`,
        'charge_already_refunded',
        undefined,
        true,
      );
    if (amount > left) {
      throw StripeHttpError.invalid(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
        'amount_too_large',
        'amount',
        true,
      );
    }
    const refund: Obj = {
      id: id('re'),
      object: 'refund',
      amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: pi.id,
      metadata: p.metadata ?? {},
      status: 'succeeded',
      created: now(),
    };
    this.refunds.set(refund.id, refund);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.emit('refund.created', refund);
    this.emit('charge.refunded', charge);
    return copy(refund);
  }

  listRefunds(q: Obj): Obj {
    const data = [...this.refunds.values()]
      .filter((r) => !q.payment_intent || r.payment_intent === q.payment_intent)
      .reverse()
      .map(copy);
    return { object: 'list', data, has_more: false, url: '/v1/refunds' };
  }
}
