// The load side of bench/workflow, a separate process driven over IPC by index.ts. It hosts the three
// fake providers (fixed latencies) and generates load with autocannon.
//
// Arrivals: autocannon's rate limit gives each connection a budget per second, so one instance with
// `overallRate: R` sends R requests in a burst at every second boundary. To get evenly spaced arrivals
// at R/s, this runs R one-connection instances at 1 request/s each, started 1000/R ms apart. Every
// request carries a fresh `ref`; its send time (setupRequest, called just before the write) and answer
// time (onResponse) are recorded here, and the notification fake records when it has delivered the
// notification for that ref: the same clock for all three.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import autocannon from 'autocannon';
import { LATENCY_MS, type RequestRecord, type SegmentCommand, type SegmentResult } from './protocol.js';

const now = () => performance.timeOrigin + performance.now();

const notified = new Map<string, number>();
const calls = { payment: 0, ai: 0, notification: 0 };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (s += c));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const fakes = createServer((req, res) => {
  void readBody(req).then((raw) => {
    const body = raw ? (JSON.parse(raw) as Record<string, any>) : {};
    if (req.url === '/v1/charges') {
      calls.payment++;
      setTimeout(
        () =>
          json(res, 200, {
            id: `ch_${randomUUID().slice(0, 12)}`,
            object: 'charge',
            status: 'succeeded',
            amount: body.amount,
          }),
        LATENCY_MS.payment,
      );
    } else if (req.url === '/v1/chat/completions') {
      calls.ai++;
      setTimeout(
        () =>
          json(res, 200, {
            id: `chatcmpl-${randomUUID().slice(0, 12)}`,
            object: 'chat.completion',
            model: body.model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'A routine order.' },
                finish_reason: 'stop',
              },
            ],
            usage: {
              prompt_tokens: 24,
              completion_tokens: 4,
              total_tokens: 28,
            },
          }),
        LATENCY_MS.ai,
      );
    } else if (req.url?.startsWith('/api/webhooks/')) {
      calls.notification++;
      setTimeout(() => {
        // Delivered: the workflow's last side effect is complete now (first delivery counts).
        if (typeof body.ref === 'string' && !notified.has(body.ref)) notified.set(body.ref, now());
        res.writeHead(204).end();
      }, LATENCY_MS.notification);
    } else {
      json(res, 404, { error: 'not found' });
    }
  });
});
fakes.keepAliveTimeout = 30_000;

async function segment(c: SegmentCommand): Promise<SegmentResult> {
  const records: RequestRecord[] = [];
  let errors = 0;
  let sent = 0;
  let n = 0;
  const u = new URL(c.url);
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const instance = autocannon(
        {
          url: u.origin,
          connections: 1,
          connectionRate: 1,
          amount: c.seconds,
          timeout: 10,
          requests: [
            {
              method: 'POST',
              path: u.pathname,
              setupRequest: (req: any, ctx: any) => {
                ctx.ref = randomUUID();
                ctx.sentAt = now();
                sent++;
                const token = c.tokens[n++ % c.tokens.length];
                return {
                  ...req,
                  headers: {
                    'content-type': 'application/json',
                    authorization: `Bearer ${token}`,
                  },
                  body: JSON.stringify({
                    ref: ctx.ref,
                    amount: 1999,
                    currency: 'usd',
                    note: 'Two boxes of tea, gift-wrapped, deliver after 5 pm.',
                  }),
                };
              },
              onResponse: (status: number, _body: string, ctx: any) => {
                records.push({
                  ref: ctx.ref,
                  sentAt: ctx.sentAt,
                  answeredAt: now(),
                  status,
                });
              },
            },
          ],
        } as any,
        (err: Error | null, result: any) => {
          if (err) return reject(err);
          errors += (result.errors ?? 0) + (result.timeouts ?? 0);
          resolve();
        },
      );
      void instance;
    });
  const started: Array<Promise<void>> = [];
  for (let i = 0; i < c.rate; i++) {
    started.push(one());
    await new Promise((r) => setTimeout(r, 1000 / c.rate));
  }
  await Promise.all(started);
  return { records, errors, sent };
}

process.on('message', (m: SegmentCommand | { cmd: 'notifications' } | { cmd: 'exit' }) => {
  if (m.cmd === 'segment') {
    segment(m).then(
      (r) => process.send!({ ok: true, result: r }),
      (err: Error) => process.send!({ ok: false, error: err.stack ?? err.message }),
    );
  } else if (m.cmd === 'notifications') {
    process.send!({
      ok: true,
      result: { notified: Object.fromEntries(notified), calls },
    });
  } else {
    fakes.close();
    process.exit(0);
  }
});

fakes.listen(0, '127.0.0.1', () => {
  const { port } = fakes.address() as { port: number };
  process.send!({ ok: true, result: { url: `http://127.0.0.1:${port}` } });
});
