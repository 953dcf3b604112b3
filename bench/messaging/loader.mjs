// Posts messages to one conversation at a fixed rate with autocannon, from its own process so the load
// generator does not share an event loop with the SSE client that measures delivery. Each body carries
// the time it was sent (ms since the epoch, sub-ms precision) for the latency computed on the other side.
//   node bench/messaging/loader.mjs '{"url":…,"token":…,"conversationId":…,"rate":1000,"seconds":10,"prefix":"m"}'
import autocannon from 'autocannon';

const o = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
let n = 0;
const result = await autocannon({
  url: o.url,
  connections: o.connections ?? 400,
  overallRate: o.rate,
  duration: o.seconds,
  requests: [
    {
      method: 'POST',
      path: `/v1/conversations/${o.conversationId}/messages`,
      headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ body: `t=${now()}`, clientMessageId: `${o.prefix}-${n++}` }) }),
    },
  ],
});
const out = {
  sent: n,
  ok: result['2xx'],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  postP50: result.latency.p50,
  postP99: result.latency.p99,
  rate: result.requests.average,
};
process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
