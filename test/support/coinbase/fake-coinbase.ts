import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FeedMode = 'up' | 'error' | 'hang';

/**
 * A local stand-in for Coinbase's public price API, speaking its real shape:
 * `GET /v2/prices/ETH-USD/spot` → `{"data":{"amount":"3120.55","base":"ETH","currency":"USD"}}`, 404 with
 * Coinbase's `errors` array for an unknown pair. Tests set prices, add latency, and switch it to failing
 * (`error`: HTTP 503) or silent (`hang`: never answers), and count the requests it got.
 */
export class FakeCoinbase {
  readonly prices = new Map<string, string>([
    ['ETH-USD', '3120.55'],
    ['USDC-USD', '0.9998'],
    ['ETH-EUR', '2890.10'],
    ['ETH-JPY', '468123'],
  ]);
  delayMs = 0;
  mode: FeedMode = 'up';
  readonly requests: Array<{ pair: string; at: number }> = [];
  private readonly open = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeCoinbase> {
    let feed!: FakeCoinbase;
    const server = createServer((req, res) => void feed.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    feed = new FakeCoinbase(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return feed;
  }

  env(): Record<string, string> {
    return { CRYPTO_PRICE_FEED_URL: this.url };
  }

  requestsFor(pair: string): number {
    return this.requests.filter((r) => r.pair === pair).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pair = /^\/v2\/prices\/([A-Z]+-[A-Z]+)\/spot$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'GET' || !pair)
      return this.send(res, 404, { errors: [{ id: 'not_found', message: 'Not found' }] });
    this.requests.push({ pair, at: Date.now() });
    if (this.mode === 'hang') {
      this.open.add(res);
      return;
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.mode === 'error')
      return this.send(res, 503, { errors: [{ id: 'service_unavailable', message: 'Service unavailable' }] });
    const price = this.prices.get(pair);
    if (!price) return this.send(res, 404, { errors: [{ id: 'not_found', message: `Invalid currency pair ${pair}` }] });
    const [base, currency] = pair.split('-');
    this.send(res, 200, { data: { amount: price, base, currency } });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
