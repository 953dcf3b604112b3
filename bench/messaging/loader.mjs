// Posts messages to one conversation at a fixed rate, evenly spaced, from its own process so the load
// generator does not share an event loop with the SSE client that measures delivery. Each body carries
// the time it was sent (ms since the epoch, sub-ms precision) for the latency computed on the other side.
// Not autocannon: its overallRate hands each connection a budget per second, so a second's requests leave
// in bursts and the latency measured is mostly the burst's own queue.
// Message n goes to conversation n mod C, through replica (n mod C) mod R: a conversation's posts always
// go through the same replica, as behind a load balancer hashing on the path (HAProxy's `balance uri`).
// Posts to one conversation from several replicas would contend for its document (its sequence).
//   node bench/messaging/loader.mjs '{"urls":[…],"token":…,"conversationIds":[…],"rate":1000,"seconds":10,"prefix":"m"}'
import { Agent, request } from 'node:http';

const o = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const agent = new Agent({ keepAlive: true, maxSockets: o.connections ?? 256 });
const targetOf = (n) => {
  const c = o.conversationIds.length;
  const url = o.urls[(n % c) % o.urls.length];
  return new URL(`/v1/conversations/${o.conversationIds[n % c]}/messages`, url);
};
const latencies = [];
let sent = 0;
let ok = 0;
let non2xx = 0;
let errors = 0;

function post(n) {
  const body = JSON.stringify({ body: `t=${now()}`, clientMessageId: `${o.prefix}-${n}` });
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      targetOf(n),
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${o.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          if (res.statusCode >= 200 && res.statusCode < 300) ok++;
          else non2xx++;
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(body);
  });
}

const inflight = new Set();
const startedAt = performance.now();
const total = Math.round(o.rate * o.seconds);
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - startedAt) * o.rate) / 1000));
    while (sent < due) {
      const p = post(sent++);
      inflight.add(p);
      void p.then(() => inflight.delete(p));
    }
    if (sent >= total) {
      clearInterval(timer);
      resolve();
    }
  }, 1);
});
const sendingMs = performance.now() - startedAt;
await Promise.all(inflight);
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
const out = {
  sent,
  ok,
  non2xx,
  errors,
  timeouts: 0,
  postP50: Math.round(pct(50) * 10) / 10,
  postP99: Math.round(pct(99) * 10) / 10,
  // Answered per second over the sending window plus the tail that was still in flight.
  rate: ok / ((performance.now() - startedAt) / 1000),
  sendRate: sent / (sendingMs / 1000),
};
agent.destroy();
process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
