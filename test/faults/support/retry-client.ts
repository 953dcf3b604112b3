import { Agent, request } from 'node:http';

/**
 * The client side of promise 4, as the README documents it: one Idempotency-Key per logical operation,
 * made before the first attempt; on a connection error, a 409 (the first attempt still holds the key),
 * a 429, a 502, a 503 or a 504, the same request is sent again with the same key after an exponential
 * backoff with jitter. Anything else is the answer.
 */
export const RETRY_STATUSES = new Set([409, 429, 502, 503, 504]);

export interface Outcome {
  /** Final status; 0 when every attempt failed at the connection level. */
  status: number;
  body: any;
  contentType: string | null;
  attempts: number;
  /** Every attempt's status, or 'net' for a connection error. */
  trail: Array<number | 'net'>;
  ms: number;
  error?: string;
}

export interface RetryOptions {
  /** Give up (return the last answer) after this long. */
  budgetMs?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  attemptTimeoutMs?: number;
}

export async function sendWithRetry(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  options: RetryOptions = {},
): Promise<Outcome> {
  const { budgetMs = 90_000, firstDelayMs = 100, maxDelayMs = 2000, attemptTimeoutMs = 30_000 } = options;
  const started = Date.now();
  const trail: Outcome['trail'] = [];
  let delay = firstDelayMs;
  for (;;) {
    let status = 0;
    let body: any;
    let contentType: string | null = null;
    let error: string | undefined;
    try {
      const res = await send(url, init, attemptTimeoutMs);
      status = res.status;
      contentType = res.contentType;
      try {
        body = res.text ? JSON.parse(res.text) : undefined;
      } catch {
        body = res.text;
      }
    } catch (err) {
      const e = err as Error & { code?: string };
      error = `${e.name}: ${e.message}${e.code ? ` (${e.code})` : ''}`;
    }
    trail.push(status === 0 ? 'net' : status);
    const retryable = status === 0 || RETRY_STATUSES.has(status);
    if (!retryable || Date.now() - started > budgetMs) {
      return {
        status,
        body,
        contentType,
        attempts: trail.length,
        trail,
        ms: Date.now() - started,
        ...(error ? { error } : {}),
      };
    }
    await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
    delay = Math.min(maxDelayMs, delay * 2);
  }
}

/**
 * One attempt over node:http with kept-alive connections: a load of thousands of requests costs the test
 * process about a quarter of the CPU that fetch() (undici) does, which the processes under test need. A
 * connection error or the timeout rejects (the caller counts it as 'net').
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function send(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<{ status: number; contentType: string | null; text: string }> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const req = request(
      url,
      {
        method: init.method,
        headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? null,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` at once; `stop()` ends it early. */
export function pool(total: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < total) await task(next++);
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => undefined);
  return {
    done,
    get started() {
      return next;
    },
    stop() {
      stopped = true;
      return done;
    },
  };
}
