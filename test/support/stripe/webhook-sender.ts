import Stripe from 'stripe';

export type StripeEventJson = Record<string, any> & { id: string; type: string };

export interface Delivery {
  eventId: string;
  type: string;
  status: number | 'network-error';
  body: string;
}

/**
 * Delivers events the way Stripe does: POST of the JSON with a `Stripe-Signature` made with the
 * endpoint's secret (Stripe's own scheme, through the SDK's generateTestHeaderString), retried with
 * backoff while the endpoint does not answer 2xx. Tests can hold events back (to deliver them late, twice
 * or out of order) or drop them (a webhook that never comes).
 */
export class WebhookSender {
  endpoint?: string;
  mode: 'deliver' | 'hold' | 'drop' = 'deliver';
  /** Retries after a failed delivery (Stripe keeps trying for days; the fake for a few seconds). */
  retries = 4;
  readonly deliveries: Delivery[] = [];
  readonly held: StripeEventJson[] = [];
  readonly dropped: StripeEventJson[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly secret: string) {}

  /** Called for every event the fake creates. Deliveries happen one at a time, in creation order. */
  publish(event: StripeEventJson): void {
    if (!this.endpoint || this.mode === 'drop') {
      this.dropped.push(event);
      return;
    }
    if (this.mode === 'hold') {
      this.held.push(event);
      return;
    }
    this.enqueue(event);
  }

  /** Delivers held events (all, or those matching), in the order given, then keeps them for redelivery. */
  release(pick: (e: StripeEventJson) => boolean = () => true, order: 'asc' | 'desc' = 'asc'): StripeEventJson[] {
    const chosen = this.held.filter(pick);
    for (const e of chosen) this.held.splice(this.held.indexOf(e), 1);
    for (const e of order === 'asc' ? chosen : [...chosen].reverse()) this.enqueue(e);
    return chosen;
  }

  enqueue(event: StripeEventJson): void {
    this.queue = this.queue.then(() => this.deliverWithRetries(event));
  }

  /** Resolves when every queued delivery has finished (delivered or given up). */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * One signed POST of `event` (or exactly `payload`), as Stripe would send it. `signedPayload` signs
   * other bytes than those sent (a body altered in transit).
   */
  async send(
    event: StripeEventJson,
    options: { secret?: string; timestamp?: number; payload?: string; signedPayload?: string } = {},
  ): Promise<Delivery> {
    const payload = options.payload ?? JSON.stringify(event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload: options.signedPayload ?? payload,
      secret: options.secret ?? this.secret,
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
    });
    let delivery: Delivery;
    try {
      const res = await fetch(this.endpoint!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body: payload,
        signal: AbortSignal.timeout(10_000),
      });
      delivery = { eventId: event.id, type: event.type, status: res.status, body: await res.text() };
    } catch (err) {
      delivery = { eventId: event.id, type: event.type, status: 'network-error', body: String(err) };
    }
    this.deliveries.push(delivery);
    return delivery;
  }

  private async deliverWithRetries(event: StripeEventJson): Promise<void> {
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const { status } = await this.send(event);
      if (typeof status === 'number' && status >= 200 && status < 300) return;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
