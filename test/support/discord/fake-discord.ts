import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A scripted answer for the next request: a status (429 with its retry_after), a hang, or a dropped socket. */
export type Fault =
  | { status: 429; retryAfter: number; global?: boolean }
  | { status: number; message?: string }
  | { hang: true }
  | { drop: true };

export interface WebhookRequest {
  at: number;
  status: number | 'hang' | 'drop';
  body: any;
  wait: boolean;
  /** When Discord told the client it may send again (a 429, or a response leaving the bucket at 0). */
  blockedUntil?: number;
}

export interface DiscordMessage {
  id: string;
  content: string;
  at: number;
  body: any;
}

let snowflake = BigInt(Date.now() - 1420070400000) << 22n;

/**
 * A local server speaking Discord's incoming-webhook protocol: `POST /api/webhooks/{id}/{token}` with JSON
 * `{content, username?, embeds?, allowed_mentions?}`; `?wait=true` answers 200 with the created message,
 * otherwise 204. Unknown webhook 404 (code 10015), wrong token 401 (50027), empty or oversized message 400
 * (50006 / 50035). Every answer carries the bucket headers (`X-RateLimit-Limit/Remaining/Reset/Reset-After/
 * Bucket`); over the bucket (`limit` per `windowMs`, off unless set) it answers 429 with JSON
 * `{message, retry_after, global}` and `Retry-After`, like Discord. `faults` script the next answers.
 */
export class FakeDiscord {
  readonly requests: WebhookRequest[] = [];
  readonly messages: DiscordMessage[] = [];
  readonly faults: Fault[] = [];
  /** Every request answers this fault while set (an outage). */
  outage?: Fault;
  bucket = { limit: 0, windowMs: 2000 };
  private windowStart = 0;
  private used = 0;
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly webhookId: string,
    readonly token: string,
  ) {}

  static async start(): Promise<FakeDiscord> {
    const server = createServer();
    const fake = new FakeDiscord(server, String(snowflake++), randomBytes(20).toString('base64url'));
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/webhooks/${this.webhookId}/${this.token}`;
  }

  reset(): void {
    this.requests.length = 0;
    this.messages.length = 0;
    this.faults.length = 0;
    this.outage = undefined;
    this.bucket = { limit: 0, windowMs: 2000 };
    // A new bucket starts empty: requests counted under the old one must not exhaust it.
    this.windowStart = 0;
    this.used = 0;
    this.releaseHanging();
  }

  /** Ends hanging requests with 503 (an outage that clears). */
  releaseHanging(): void {
    for (const res of this.hanging) this.json(res, 503, { message: 'Service Unavailable' });
    this.hanging.clear();
  }

  async stop(): Promise<void> {
    this.releaseHanging();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    } catch {
      body = undefined;
    }
    const wait = url.searchParams.get('wait') === 'true';
    const record = (status: WebhookRequest['status'], blockedUntil?: number) =>
      this.requests.push({ at: Date.now(), status, body, wait, blockedUntil });
    const [, api, hooks, id, token] = url.pathname.split('/');
    if (req.method !== 'POST' || api !== 'api' || hooks !== 'webhooks' || id !== this.webhookId) {
      record(404);
      return this.json(res, 404, { message: 'Unknown Webhook', code: 10015 });
    }
    if (token !== this.token) {
      record(401);
      return this.json(res, 401, { message: 'Invalid Webhook Token', code: 50027 });
    }
    const fault = this.outage ?? this.faults.shift();
    if (fault && 'hang' in fault) {
      record('hang');
      this.hanging.add(res);
      return;
    }
    if (fault && 'drop' in fault) {
      record('drop');
      req.socket.destroy();
      return;
    }
    if (fault && fault.status === 429) {
      const f = fault as { retryAfter: number; global?: boolean };
      record(429, Date.now() + f.retryAfter * 1000);
      return this.rateLimited(res, f.retryAfter, f.global ?? false);
    }
    if (fault) {
      record(fault.status);
      return this.json(res, fault.status, {
        message: (fault as { message?: string }).message ?? 'Internal Server Error',
        code: 0,
      });
    }
    const headers = this.take();
    if (!headers) {
      record(429, this.windowStart + this.bucket.windowMs);
      return this.rateLimited(
        res,
        Math.max(0.001, (this.windowStart + this.bucket.windowMs - Date.now()) / 1000),
        false,
      );
    }
    const exhaustedUntil =
      headers['x-ratelimit-remaining'] === '0' ? this.windowStart + this.bucket.windowMs : undefined;
    if (
      !body ||
      typeof body !== 'object' ||
      ((typeof body.content !== 'string' || body.content === '') && !Array.isArray(body.embeds))
    ) {
      record(400);
      return this.json(res, 400, { message: 'Cannot send an empty message', code: 50006 }, headers);
    }
    if (typeof body.content === 'string' && body.content.length > 2000) {
      record(400);
      return this.json(
        res,
        400,
        {
          message: 'Invalid Form Body',
          code: 50035,
          errors: {
            content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
          },
        },
        headers,
      );
    }
    record(wait ? 200 : 204, exhaustedUntil);
    const message = { id: String(snowflake++), content: body.content ?? '', at: Date.now(), body };
    this.messages.push(message);
    if (!wait) {
      res.writeHead(204, headers).end();
      return;
    }
    this.json(
      res,
      200,
      {
        id: message.id,
        type: 0,
        content: message.content,
        channel_id: '1',
        webhook_id: this.webhookId,
        author: { id: this.webhookId, username: body.username ?? 'keel', bot: true },
        embeds: body.embeds ?? [],
        mentions: [],
        timestamp: new Date(message.at).toISOString(),
      },
      headers,
    );
  }

  /** Counts the request against the bucket; its headers, or undefined when the bucket is exhausted. */
  private take(): Record<string, string> | undefined {
    const now = Date.now();
    if (now - this.windowStart >= this.bucket.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    const limit = this.bucket.limit || 1_000_000;
    if (this.used >= limit) return undefined;
    this.used++;
    const resetAfter = (this.windowStart + this.bucket.windowMs - now) / 1000;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(limit - this.used),
      'x-ratelimit-reset': ((now + resetAfter * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': 'fakebucket0',
    };
  }

  private rateLimited(res: ServerResponse, retryAfter: number, global: boolean): void {
    const headers: Record<string, string> = {
      'retry-after': String(Math.ceil(retryAfter)),
      'x-ratelimit-scope': global ? 'global' : 'user',
    };
    if (global) headers['x-ratelimit-global'] = 'true';
    this.json(res, 429, { message: 'You are being rate limited.', retry_after: retryAfter, global }, headers);
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  }
}
