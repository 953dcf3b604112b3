import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One programmed answer: a reply (after `latencyMs`), an HTTP error, or no answer at all. */
export type Step =
  | { reply?: string; latencyMs?: number }
  | { status: number; retryAfter?: string; retryAfterMs?: number; message?: string; latencyMs?: number }
  | { hang: true };

export interface SeenRequest {
  seq: number;
  /** The Idempotency-Key header keel sends: `ai-job-<jobId>`. */
  key: string;
  body: any;
  /** Content of the last message. */
  content: string;
  at: number;
  endedAt?: number;
  status?: number;
  /** The client closed the connection before an answer was sent (an abort or a timeout). */
  clientClosed: boolean;
}

interface Script {
  match: string;
  steps: Step[];
}

/**
 * A local OpenAI-compatible chat-completions server, driven through the real `openai` SDK. Scripts pick
 * the answer by the last message's content (each step is used once, in order; then the default step),
 * so tests can ask for latency, 429 with Retry-After, 500, 400 or a call that never answers.
 */
export class FakeOpenAI {
  readonly requests: SeenRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  defaultStep: Step = { latencyMs: 0 };
  private scripts: Script[] = [];
  private readonly open = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly apiKey: string,
  ) {}

  static async start(apiKey = 'sk-test-fake'): Promise<FakeOpenAI> {
    let fake!: FakeOpenAI;
    const server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    fake = new FakeOpenAI(server, `http://127.0.0.1:${port}/v1`, apiKey);
    return fake;
  }

  /** Requests whose last message contains `match` get `steps`, one each, in order. */
  script(match: string, ...steps: Step[]): void {
    this.scripts.push({ match, steps: [...steps] });
  }

  forKey(key: string): SeenRequest[] {
    return this.requests.filter((r) => r.key === key);
  }

  matching(text: string): SeenRequest[] {
    return this.requests.filter((r) => r.content.includes(text));
  }

  private next(content: string): Step {
    const script = this.scripts.find((s) => content.includes(s.match) && s.steps.length > 0);
    return script ? script.steps.shift()! : this.defaultStep;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions')
      return this.error(res, 404, 'unknown route', 'invalid_request_error');
    if (req.headers.authorization !== `Bearer ${this.apiKey}`)
      return this.error(res, 401, 'Incorrect API key provided', 'invalid_request_error');
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const content = String(body.messages?.at(-1)?.content ?? '');
    const seen: SeenRequest = {
      seq: this.requests.length + 1,
      key: String(req.headers['idempotency-key'] ?? ''),
      body,
      content,
      at: Date.now(),
      clientClosed: false,
    };
    this.requests.push(seen);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.open.add(res);
    res.on('close', () => {
      this.open.delete(res);
      this.inFlight--;
      seen.endedAt = Date.now();
      if (!res.writableFinished) seen.clientClosed = true;
    });
    const step = this.next(content);
    if ('hang' in step) return;
    if (step.latencyMs) await new Promise((r) => setTimeout(r, step.latencyMs));
    if (res.destroyed) return;
    if ('status' in step) {
      const headers: Record<string, string> = {};
      if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
      if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
      seen.status = step.status;
      return this.error(
        res,
        step.status,
        step.message ?? `fake error ${step.status}`,
        step.status === 429 ? 'rate_limit_error' : 'server_error',
        headers,
      );
    }
    seen.status = 200;
    const reply = step.reply ?? defaultReply(body);
    const prompt = Math.ceil(JSON.stringify(body.messages).length / 4);
    const completion = Math.ceil(reply.length / 4);
    this.json(res, 200, {
      id: `chatcmpl-${seen.seq}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    });
  }

  private error(
    res: ServerResponse,
    status: number,
    message: string,
    type: string,
    headers: Record<string, string> = {},
  ): void {
    this.json(res, status, { error: { message, type, code: null, param: null } }, headers);
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  reset(): void {
    this.requests.length = 0;
    this.scripts = [];
    this.maxInFlight = this.inFlight;
    this.defaultStep = { latencyMs: 0 };
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Without a script: JSON requests get the first allowed label / every field, others an echo. */
function defaultReply(body: any): string {
  const system = String(body.messages?.find((m: any) => m.role === 'system')?.content ?? '');
  const list = () => JSON.parse(/these (?:labels|fields)[^[]*(\[.*?\])/.exec(system)?.[1] ?? '[]') as string[];
  if (body.response_format?.type === 'json_object') {
    if (/labels/.test(system)) return JSON.stringify({ labels: list().slice(0, 1) });
    return JSON.stringify(Object.fromEntries(list().map((f) => [f, `value of ${f}`])));
  }
  return `echo: ${String(body.messages?.at(-1)?.content ?? '').slice(0, 40)}`;
}
