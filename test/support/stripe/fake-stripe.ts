import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { canonical, parseStripeForm } from './form.js';
import { StripeHttpError } from './stripe-error.js';
import { StripeLedger } from './stripe-ledger.js';
import { WebhookSender, type StripeEventJson } from './webhook-sender.js';

/** A fault injected in front of the API: an error answer before anything runs, or a late answer after it ran. */
export interface Fault {
  method?: string;
  path?: RegExp;
  times: number;
  /** Answer this status (500, 503, 429...) without running the request. */
  status?: number;
  /** Run the request, then hold the answer this long (the client times out; the result is kept). */
  delayMs?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  idempotencyKey?: string;
  params: Record<string, any>;
  status: number;
  replayed: boolean;
  fault?: boolean;
}

interface Saved {
  request: string;
  status?: number;
  body?: unknown;
}

type Handler = (params: Record<string, any>, id: string) => unknown;

/**
 * A Stripe-compatible API server for tests: the real `stripe` SDK talks to it over HTTP (STRIPE_API_BASE).
 * It implements the endpoints keel uses with Stripe's shapes and errors (402 card errors for declining
 * test cards), Stripe's Idempotency-Key semantics (the first result is replayed, a reused key with other
 * parameters answers 400 idempotency_error, a key in use answers 409), and signed webhook delivery.
 */
export class FakeStripe {
  readonly requests: LoggedRequest[] = [];
  readonly events: StripeEventJson[] = [];
  readonly ledger = new StripeLedger((type, object) => this.emit(type, object));
  readonly webhooks: WebhookSender;
  private readonly faults: Fault[] = [];
  private readonly saved = new Map<string, Saved>();
  private readonly routes: Array<[string, RegExp, Handler]> = [
    ['POST', /^\/v1\/payment_intents$/, (p) => this.ledger.createIntent(p)],
    ['GET', /^\/v1\/payment_intents\/([^/]+)$/, (_p, id) => this.ledger.intent(id)],
    ['POST', /^\/v1\/payment_intents\/([^/]+)\/confirm$/, (p, id) => this.ledger.confirm(id, p)],
    ['POST', /^\/v1\/payment_intents\/([^/]+)\/cancel$/, (p, id) => this.ledger.cancel(id, p)],
    ['POST', /^\/v1\/refunds$/, (p) => this.ledger.createRefund(p)],
    ['GET', /^\/v1\/refunds$/, (p) => this.ledger.listRefunds(p)],
  ];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly secretKey: string,
    readonly webhookSecret: string,
  ) {
    this.webhooks = new WebhookSender(webhookSecret);
  }

  static async start(options: { secretKey?: string; webhookSecret?: string } = {}): Promise<FakeStripe> {
    let fake: FakeStripe | undefined;
    const server = createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeStripe(
      server,
      `http://127.0.0.1:${port}`,
      options.secretKey ?? `sk_test_fake${randomBytes(6).toString('hex')}`,
      options.webhookSecret ?? `whsec_fake${randomBytes(12).toString('hex')}`,
    );
    return fake;
  }

  /** What keel needs to use this server. */
  env(): Record<string, string> {
    return { STRIPE_API_BASE: this.url, STRIPE_SECRET_KEY: this.secretKey, STRIPE_WEBHOOK_SECRET: this.webhookSecret };
  }

  /** An SDK client on this server: the test's stand-in for the customer's browser confirming a payment. */
  client(): Stripe {
    const { hostname, port } = new URL(this.url);
    return new Stripe(this.secretKey, { host: hostname, port, protocol: 'http', maxNetworkRetries: 0 });
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  requestsTo(method: string, path: RegExp): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private emit(type: string, object: Record<string, any>): void {
    const event: StripeEventJson = {
      id: `evt_${randomBytes(12).toString('hex')}`,
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: Math.floor(Date.now() / 1000),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.events.push(event);
    this.webhooks.publish(event);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const params = parseStripeForm(method === 'GET' ? url.search.slice(1) : Buffer.concat(chunks).toString('utf8'));
    const key = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
    const log: LoggedRequest = { method, path: url.pathname, idempotencyKey: key, params, status: 0, replayed: false };
    this.requests.push(log);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      if (res.destroyed) return;
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': `req_${randomBytes(8).toString('hex')}`,
        ...headers,
      });
      res.end(JSON.stringify(body));
    };

    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } });
    }
    const route = this.routes.find(([m, re]) => m === method && re.test(url.pathname));
    if (!route)
      return send(404, {
        error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${url.pathname}).` },
      });
    const fault = this.takeFault(method, url.pathname);
    if (fault?.status) {
      log.fault = true;
      return send(fault.status, {
        error: { type: 'api_error', message: 'An unknown error occurred (injected fault).' },
      });
    }

    const request = `${method} ${url.pathname} ${canonical(params)}`;
    const earlier = key ? this.saved.get(key) : undefined;
    let status: number;
    let body: unknown;
    let headers: Record<string, string> = {};
    if (earlier && earlier.request !== request) {
      [status, body] = [
        400,
        {
          error: {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          },
        },
      ];
    } else if (earlier && earlier.status === undefined) {
      [status, body] = [
        409,
        {
          error: {
            type: 'idempotency_error',
            code: 'idempotency_key_in_use',
            message: 'There is currently another in-progress request using this Idempotent Key.',
          },
        },
      ];
    } else if (earlier) {
      [status, body, headers] = [earlier.status!, earlier.body, { 'idempotent-replayed': 'true' }];
      log.replayed = true;
    } else {
      const slot: Saved = { request };
      if (key) this.saved.set(key, slot);
      [status, body, slot.status] = this.run(route, url.pathname, params);
      slot.body = body;
      if (key && slot.status === undefined) this.saved.delete(key);
    }
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    send(status, body, headers);
  }

  /** Runs a route: [status, body, status to save under the idempotency key (undefined: save nothing)]. */
  private run(
    route: [string, RegExp, Handler],
    path: string,
    params: Record<string, any>,
  ): [number, unknown, number | undefined] {
    try {
      const id = route[1].exec(path)?.[1] ?? '';
      return [200, route[2](params, id), 200];
    } catch (err) {
      if (!(err instanceof StripeHttpError))
        return [500, { error: { type: 'api_error', message: String(err) } }, undefined];
      return [err.status, { error: err.body }, err.saved ? err.status : undefined];
    }
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      (f) => f.times > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)),
    );
    if (fault) fault.times--;
    return fault;
  }
}
