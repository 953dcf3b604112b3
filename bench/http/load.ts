// One autocannon measurement in its own process (bench/http/index.ts spawns it), printed as
// `RESULT <json>`. Bodies and bearer tokens rotate per request.
import autocannon, { type Result } from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  bodies: string[];
  tokens: string[];
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

const o = JSON.parse(process.argv[2]!) as LoadOptions;
const u = new URL(o.url);
let n = 0;
const result = await new Promise<Result>((resolve, reject) => {
  autocannon(
    {
      url: u.origin,
      connections: o.connections,
      duration: o.seconds,
      requests: [
        {
          method: 'POST',
          path: u.pathname,
          setupRequest: (req: Record<string, unknown>) => {
            const i = n++;
            return {
              ...req,
              headers: {
                'content-type': 'application/json',
                ...(o.tokens.length ? { authorization: `Bearer ${o.tokens[i % o.tokens.length]}` } : {}),
              },
              body: o.bodies[i % o.bodies.length],
            };
          },
        },
      ],
    },
    (err, r) => (err ? reject(err) : resolve(r)),
  );
});
const out: LoadResult = {
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  total: result['2xx'] + result.non2xx,
};
console.log(`RESULT ${JSON.stringify(out)}`);
