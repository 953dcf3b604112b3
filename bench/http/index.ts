// bench/http: maximum throughput and p99 of keel's authenticated, validated POST /v1/payments (JWT,
// DTO validation, payment + outbox committed in one MongoDB transaction, relayed to BullMQ, 202) beside
// hello routes on the same platform, in the same run:
//   - keel hello: a @Public() constant POST inside keel (same Fastify instance and global edge): the
//     anchor of the target (payments >= 30% of it);
//   - bare hello: NestJS on the same Fastify adapter, one constant route, nothing else;
//   - keel validated: the same token and DTO as POST /v1/payments, then a constant 202 (no database),
//     which splits what payments costs into edge + auth + validation and transaction + relay;
//   - keel payments again, on a second api process started with Node's default heap sizing (none of the
//     deployed V8 flags, or BENCH_HTTP_COMPARE_FLAGS): what the flags cost in CPU and save in RSS.
// The keel api runs with the V8 flags of deploy/k8s/api.yaml (BENCH_HTTP_NODE_FLAGS overrides them).
// keel runs as the built dist/ in the api role, its embedded MongoDB in a process of its own. autocannon
// runs in a separate process; rows are measured in order and then in reverse order, so the machine's
// drifting load hits each alike; each row's figures are the mean of its two measurements. CPU per
// request is the serving process's (and the database process's) CPU time over the requests answered.
//   node --import tsx bench/http/index.ts
//   BENCH_HTTP_SECONDS (per measurement, default 6), BENCH_HTTP_CONNECTIONS (default 16),
//   BENCH_CPU_PROF=1 (write .cpuprofile files of the keel process and the database),
//   BENCH_HTTP_BEFORE=<a built checkout> (also measure its keel hello and payments, in the same run: a
//   before/after comparison of a change; e.g. `git worktree add` + `nest build` of the older commit)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { snapshot } from '../support/build.js';
import { deployedApiNodeFlags } from '../support/deployed-flags.js';
import { profileClock, type Window } from '../support/profile-summary.js';
import {
  benchLogDir,
  cpuMs,
  freePort,
  loadNote,
  sampleRss,
  startNode,
  waitHttp,
  waitLog,
  type Proc,
} from '../support/procs.js';
import { dropKeys, redisUrl } from '../support/redis.js';
import { machine, printTable, type BenchResult } from '../support/results.js';
import { round } from '../support/stats.js';
import { benchAuth } from '../support/tokens.js';
import type { LoadOptions, LoadResult } from './load.js';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 6);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 16);
const flagsFrom = (v: string | undefined) => (v === undefined ? undefined : v.split(/\s+/).filter(Boolean));
const NODE_FLAGS = flagsFrom(process.env.BENCH_HTTP_NODE_FLAGS) ?? deployedApiNodeFlags();
const COMPARE_FLAGS = flagsFrom(process.env.BENCH_HTTP_COMPARE_FLAGS) ?? [];
const describeFlags = (flags: string[]) => (flags.length ? flags.join(' ') : "Node's defaults");
const BEFORE = process.env.BENCH_HTTP_BEFORE;
const WARMUP_SECONDS = 3;
const here = fileURLToPath(new URL('.', import.meta.url));

function load(o: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(here, 'load.ts'), JSON.stringify(o)],
      { maxBuffer: 16 * 2 ** 20 },
      (err, stdout, stderr) => {
        const line = /^RESULT (.*)$/m.exec(stdout)?.[1];
        if (err || !line) reject(new Error(`load generator failed: ${err?.message ?? ''}\n${stderr}`));
        else resolve(JSON.parse(line) as LoadResult);
      },
    );
  });
}

interface Row {
  name: string;
  route: string;
  url: string;
  proc: Proc;
  bodies: string[];
  tokens: string[];
  runs: LoadResult[];
  rssMb: number;
  /** CPU time of the serving process and of the database process during the measurements. */
  cpu: { app: number; db: number };
}

/** Runs the built keel (bench/run.ts builds dist/ first). */
export const needsDist = true;

export async function run(): Promise<BenchResult> {
  const tag = randomBytes(3).toString('hex');
  const prefix = `bench:http:${tag}`;
  const snap = await snapshot(['bench/support', 'bench/http/app']);
  const beforeSnap = BEFORE ? await snapshot(['bench/support', 'bench/http/app'], BEFORE) : undefined;
  const procs: Proc[] = [];
  const loads: string[] = [];
  try {
    const profDir = join(benchLogDir(), 'cpu-profiles');
    const profiling = process.env.BENCH_CPU_PROF === '1';
    if (profiling) mkdirSync(profDir, { recursive: true });
    const profile = (name: string) =>
      profiling ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${name}.cpuprofile`] : [];

    const mongoPort = await freePort();
    const mongo = startNode(
      'http-mongo',
      [snap.path('src/platform/database/embedded/standalone.js')],
      {
        EMBEDDED_MONGO_PORT: String(mongoPort),
        EMBEDDED_MONGO_HOST: '127.0.0.1',
      },
      { execArgv: profile('http-mongo') },
    );
    procs.push(mongo);
    const mongoUrl = (await waitLog(mongo, /mongodb:\/\/\S+/))[0];

    const auth = benchAuth();
    const tokens = await auth.tokens(50);
    const startKeel = async (name: string, nodeArgs: string[], from = snap) => {
      const port = await freePort();
      const p = startNode(
        name,
        [from.path('bench/http/app/main.js')],
        {
          NODE_ENV: 'production',
          LOG_LEVEL: 'info',
          APP_ROLE: 'api',
          HOST: '127.0.0.1',
          PORT: String(port),
          MONGO_URL: mongoUrl,
          MONGO_DB: `bench_http_${tag}`,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          // Rate limits stay on (each request still counts in Redis) but never trip.
          RATE_LIMIT_MAX: '1000000000',
          DRAIN_DELAY_MS: '0',
          // Payments are configured, but the api role never calls Stripe (no worker runs here); the
          // base URL is local anyway.
          STRIPE_SECRET_KEY: 'sk_test_bench',
          STRIPE_WEBHOOK_SECRET: 'whsec_bench',
          STRIPE_API_BASE: 'http://127.0.0.1:9',
          ...auth.env,
        },
        { execArgv: [...nodeArgs, ...profile(name)] },
      );
      procs.push(p);
      return { p, url: `http://127.0.0.1:${port}` };
    };
    const keel = await startKeel('http-keel-api', NODE_FLAGS);
    const compared = await startKeel('http-keel-api-compare', COMPARE_FLAGS);
    const before = beforeSnap ? await startKeel('http-keel-api-before', [], beforeSnap) : undefined;
    const barePort = await freePort();
    const bare = startNode('http-bare-hello', [snap.path('bench/http/app/bare-hello.js')], {
      NODE_ENV: 'production',
      PORT: String(barePort),
    });
    procs.push(bare);
    const keelUrl = keel.url;
    const bareUrl = `http://127.0.0.1:${barePort}`;
    await Promise.all([
      waitHttp(keel.p, `${keel.url}/health/ready`, 90_000),
      waitHttp(compared.p, `${compared.url}/health/ready`, 90_000),
      waitLog(bare, /listening on/, 60_000),
      before && waitHttp(before.p, `${before.url}/health/ready`, 90_000),
    ]);
    // Resident memory once booted and idle, before any load.
    await new Promise((r) => setTimeout(r, 2000));
    const idleRss = sampleRss([keel.p, compared.p, ...(before ? [before.p] : [])], 1000).stop();

    const hello = [JSON.stringify({ hello: 'world' })];
    const payments = Array.from({ length: 100 }, (_, i) =>
      JSON.stringify({
        amount: 1000 + i,
        currency: 'usd',
        description: `Order #${i}`,
        metadata: { orderId: String(i) },
      }),
    );
    const row = (name: string, route: string, url: string, proc: Proc, bodies: string[], withTokens: boolean): Row => ({
      name,
      route,
      url,
      proc,
      bodies,
      tokens: withTokens ? tokens : [],
      runs: [],
      rssMb: 0,
      cpu: { app: 0, db: 0 },
    });
    const bareRow = row(
      'bare NestJS + Fastify hello',
      'POST /hello (constant)',
      `${bareUrl}/hello`,
      bare,
      hello,
      false,
    );
    const helloRow = row(
      'keel hello',
      'POST /v1/bench/hello (@Public, constant)',
      `${keelUrl}/v1/bench/hello`,
      keel.p,
      hello,
      false,
    );
    const validatedRow = row(
      'keel validated',
      'POST /v1/bench/validated (JWT, payment DTO, constant 202)',
      `${keelUrl}/v1/bench/validated`,
      keel.p,
      payments,
      true,
    );
    const payRow = row(
      'keel payments',
      'POST /v1/payments (JWT, DTO, tx: payment + outbox, 202)',
      `${keelUrl}/v1/payments`,
      keel.p,
      payments,
      true,
    );
    const comparedRow = row(
      `keel payments, ${describeFlags(COMPARE_FLAGS)}`,
      `same, node ${describeFlags(COMPARE_FLAGS)}`,
      `${compared.url}/v1/payments`,
      compared.p,
      payments,
      true,
    );
    const beforeRows = before
      ? [
          row(
            'before: keel hello',
            'POST /v1/bench/hello, the code of BENCH_HTTP_BEFORE',
            `${before.url}/v1/bench/hello`,
            before.p,
            hello,
            false,
          ),
          row(
            'before: keel payments',
            'POST /v1/payments, the code of BENCH_HTTP_BEFORE',
            `${before.url}/v1/payments`,
            before.p,
            payments,
            true,
          ),
        ]
      : [];
    const rows = [bareRow, helloRow, validatedRow, payRow, comparedRow, ...beforeRows];
    // When profiling: each row's measurement windows, for bench/support/profile-summary.ts --windows.
    const windows: Record<string, Window[]> = {};
    const measure = async (row: Row, seconds: number, record: boolean) => {
      const sampler = sampleRss([row.proc]);
      const from = profileClock();
      const cpu0 = { app: cpuMs(row.proc.pid), db: cpuMs(mongo.pid) };
      const r = await load({
        url: row.url,
        connections: CONNECTIONS,
        seconds,
        bodies: row.bodies,
        tokens: row.tokens,
      });
      const peak = sampler.stop()[row.proc.name] ?? Number.NaN;
      if (!record) return;
      row.cpu.app += cpuMs(row.proc.pid) - cpu0.app;
      row.cpu.db += cpuMs(mongo.pid) - cpu0.db;
      (windows[row.name] ??= []).push([from, profileClock()]);
      row.runs.push(r);
      row.rssMb = Math.max(row.rssMb, peak);
      loads.push(loadNote());
    };
    console.log(`http: ${CONNECTIONS} connections, ${SECONDS} s per measurement, rows in order then in reverse order`);
    for (const row of rows) await measure(row, WARMUP_SECONDS, false);
    for (const row of [...rows, ...[...rows].reverse()]) await measure(row, SECONDS, true);

    if (profiling) writeFileSync(join(profDir, 'windows.json'), JSON.stringify(windows));
    const mean = (row: Row, k: keyof LoadResult) => row.runs.reduce((a, r) => a + r[k], 0) / row.runs.length;
    const sum = (row: Row, k: keyof LoadResult) => row.runs.reduce((a, r) => a + r[k], 0);
    console.log(`\n${machine()}; ${loads[0]} at the start, ${loads[loads.length - 1]} at the end`);
    printTable(
      rows.map((row) => ({
        target: row.name,
        route: row.route,
        'req/s': Math.round(mean(row, 'rps')),
        'p50 ms': round(mean(row, 'p50')),
        'p99 ms': round(mean(row, 'p99')),
        'non-2xx': sum(row, 'non2xx'),
        errors: sum(row, 'errors'),
        'app CPU ms/req': round(row.cpu.app / sum(row, 'total'), 3),
        'db CPU ms/req': round(row.cpu.db / sum(row, 'total'), 3),
        'peak RSS MB': Math.round(row.rssMb),
      })),
    );
    const rps = (r: Row) => mean(r, 'rps');
    const vsHello = rps(payRow) / rps(helloRow);
    const vsBare = rps(payRow) / rps(bareRow);
    const cpuPerReq = (r: Row) => r.cpu.app / sum(r, 'total');
    console.log(
      `ratio payments / keel hello: ${vsHello.toFixed(3)} (target >= 0.30); payments / bare hello: ${vsBare.toFixed(3)}; keel hello / bare hello: ${(rps(helloRow) / rps(bareRow)).toFixed(3)}; validated / keel hello: ${(rps(validatedRow) / rps(helloRow)).toFixed(3)}`,
    );
    console.log(
      `keel api CPU per request: hello ${cpuPerReq(helloRow).toFixed(3)} ms, + JWT and DTO ${(cpuPerReq(validatedRow) - cpuPerReq(helloRow)).toFixed(3)} ms, + transaction and relay ${(cpuPerReq(payRow) - cpuPerReq(validatedRow)).toFixed(3)} ms (and ${(payRow.cpu.db / sum(payRow, 'total')).toFixed(3)} ms in the database process)`,
    );
    const [beforeHello, beforePay] = beforeRows;
    if (beforeHello && beforePay) {
      console.log(
        `before (${BEFORE}): payments / keel hello ${(rps(beforePay) / rps(beforeHello)).toFixed(3)}, api CPU per request hello ${cpuPerReq(beforeHello).toFixed(3)} ms, payments ${cpuPerReq(beforePay).toFixed(3)} ms (db ${(beforePay.cpu.db / sum(beforePay, 'total')).toFixed(3)}), RSS idle ${Math.round(idleRss[beforeHello.proc.name] ?? Number.NaN)} MB, peak ${Math.round(Math.max(beforeHello.rssMb, beforePay.rssMb))} MB; after: ${vsHello.toFixed(3)}, ${cpuPerReq(helloRow).toFixed(3)} ms, ${cpuPerReq(payRow).toFixed(3)} ms (db ${(payRow.cpu.db / sum(payRow, 'total')).toFixed(3)})`,
      );
    }
    const peak = Math.round(Math.max(helloRow.rssMb, validatedRow.rssMb, payRow.rssMb));
    console.log(
      `keel api (${describeFlags(NODE_FLAGS)}) RSS: idle ${Math.round(idleRss[keel.p.name] ?? Number.NaN)} MB, peak under load ${peak} MB (target < 200); with ${describeFlags(COMPARE_FLAGS)}: idle ${Math.round(idleRss[compared.p.name] ?? Number.NaN)} MB, peak ${Math.round(comparedRow.rssMb)} MB, ${Math.round(rps(comparedRow))} req/s, ${cpuPerReq(comparedRow).toFixed(3)} ms api CPU per payment against ${cpuPerReq(payRow).toFixed(3)} ms; logs: ${benchLogDir()}${profiling ? `; CPU profiles: ${profDir}` : ''}`,
    );
    return {
      summary:
        `${CONNECTIONS} conns: payments ${Math.round(rps(payRow))} req/s p99 ${round(mean(payRow, 'p99'))} ms, ` +
        `keel hello ${Math.round(rps(helloRow))} req/s p99 ${round(mean(helloRow, 'p99'))} ms, ` +
        `validated (no db) ${Math.round(rps(validatedRow))} req/s, ` +
        `bare hello ${Math.round(rps(bareRow))} req/s p99 ${round(mean(bareRow, 'p99'))} ms; ` +
        `payments/keel hello ${vsHello.toFixed(3)}, payments/bare ${vsBare.toFixed(3)}; ` +
        `api CPU/req hello ${cpuPerReq(helloRow).toFixed(2)} ms, validated ${cpuPerReq(validatedRow).toFixed(2)}, payments ${cpuPerReq(payRow).toFixed(2)} (+ db ${(payRow.cpu.db / sum(payRow, 'total')).toFixed(2)}); ` +
        `api RSS idle ${Math.round(idleRss[keel.p.name] ?? Number.NaN)} MB, peak ${peak} MB; with ${describeFlags(COMPARE_FLAGS)}: peak ${Math.round(comparedRow.rssMb)} MB, ${Math.round(rps(comparedRow))} req/s, ${cpuPerReq(comparedRow).toFixed(2)} ms/payment; ` +
        `errors ${sum(payRow, 'errors') + sum(payRow, 'non2xx')}; ${loads[loads.length - 1]}`,
      figures: {
        connections: CONNECTIONS,
        paymentsRps: Math.round(rps(payRow)),
        paymentsP99: round(mean(payRow, 'p99')),
        keelHelloRps: Math.round(rps(helloRow)),
        keelHelloP99: round(mean(helloRow, 'p99')),
        validatedRps: Math.round(rps(validatedRow)),
        bareHelloRps: Math.round(rps(bareRow)),
        bareHelloP99: round(mean(bareRow, 'p99')),
        paymentsVsKeelHello: round(vsHello, 3),
        paymentsVsBareHello: round(vsBare, 3),
        helloCpuMs: round(cpuPerReq(helloRow), 3),
        validatedCpuMs: round(cpuPerReq(validatedRow), 3),
        paymentsCpuMs: round(cpuPerReq(payRow), 3),
        paymentsDbCpuMs: round(payRow.cpu.db / sum(payRow, 'total'), 3),
        apiIdleRssMb: Math.round(idleRss[keel.p.name] ?? Number.NaN),
        apiPeakRssMb: peak,
        comparedPeakRssMb: Math.round(comparedRow.rssMb),
        comparedPaymentsRps: Math.round(rps(comparedRow)),
        comparedPaymentsCpuMs: round(cpuPerReq(comparedRow), 3),
        apiNodeFlags: NODE_FLAGS.join(' '),
        paymentsErrors: sum(payRow, 'errors') + sum(payRow, 'non2xx'),
      },
    };
  } finally {
    await Promise.all(procs.filter((p) => p !== procs[0]).map((p) => p.stop()));
    await procs[0]?.stop();
    await dropKeys(prefix).catch(() => undefined);
    snap.cleanup();
    beforeSnap?.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
