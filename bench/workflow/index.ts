// bench/workflow: a request whose complete handling needs a payment-provider call (80 ms), an AI call
// (300 ms) and a notification (50 ms), at equal fixed-rate load:
//   - anchor, the synchronous chain: one api process calls the three providers in sequence inside the
//     request and answers 201 when all are done;
//   - keel: an api process commits the order and its event and answers 202; a worker process runs the
//     payment and the AI call in parallel (two subscribers of one event) and then the notification.
// Both are the same stack (the built keel with a bench-only feature, keel's HTTP edge, one embedded
// MongoDB process, Redis) and get the same requests. Measured: accept latency (send → answer),
// end-to-end (send → notification delivered), completed workflows/s, errors, peak RSS.
// Segments run chain, keel, keel, chain (ABBA) so drift in the machine's load hits both alike.
//   node --import tsx bench/workflow/index.ts
//   BENCH_WORKFLOW_RATE (requests/s, default 20), BENCH_WORKFLOW_SECONDS (per segment, default 8),
//   BENCH_CPU_PROF=1 (write .cpuprofile files of the keel processes)
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { MongoClient } from 'mongodb';
import { snapshot } from '../support/build.js';
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
import { percentile, round } from '../support/stats.js';
import { benchAuth } from '../support/tokens.js';
import { LATENCY_MS, type RequestRecord, type SegmentCommand, type SegmentResult } from './protocol.js';

const RATE = Number(process.env.BENCH_WORKFLOW_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_WORKFLOW_SECONDS ?? 8);
const WARMUP_SECONDS = 3;
const here = fileURLToPath(new URL('.', import.meta.url));

type Reply<T> = { ok: true; result: T } | { ok: false; error: string };

class Driver {
  private waiting?: (m: Reply<unknown>) => void;
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: Reply<unknown>) => this.waiting?.(m));
  }
  static async start(): Promise<{ driver: Driver; providersUrl: string }> {
    const child = fork(join(here, 'driver.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const driver = new Driver(child);
    const { url } = await driver.next<{ url: string }>();
    return { driver, providersUrl: url };
  }
  private next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load driver exited with ${code}`));
      this.child.once('exit', onExit);
      this.waiting = (m) => {
        this.child.off('exit', onExit);
        this.waiting = undefined;
        if (m.ok) resolve(m.result as T);
        else reject(new Error(m.error));
      };
    });
  }
  ask<T>(message: object): Promise<T> {
    const reply = this.next<T>();
    this.child.send(message);
    return reply;
  }
  notifications() {
    return this.ask<{
      notified: Record<string, number>;
      calls: Record<string, number>;
    }>({ cmd: 'notifications' });
  }
  exit(): void {
    if (this.child.connected) this.child.send({ cmd: 'exit' });
  }
}

interface SystemFigures {
  sent: number;
  answered2xx: number;
  errors: number;
  completed: number;
  acceptP50: number;
  acceptP99: number;
  e2eP50: number;
  e2eP99: number;
  throughput: number;
  rss: Record<string, number>;
}

function figuresOf(
  segments: SegmentResult[],
  notified: Record<string, number>,
  rss: Record<string, number>,
): SystemFigures {
  const records: RequestRecord[] = segments.flatMap((s) => s.records);
  const ok = records.filter((r) => r.status >= 200 && r.status < 300);
  const e2e = ok.filter((r) => notified[r.ref] !== undefined).map((r) => notified[r.ref]! - r.sentAt);
  // Completed workflows per second of measured time (first send → last notification, per segment).
  let span = 0;
  for (const s of segments) {
    const sent = s.records.map((r) => r.sentAt);
    const done = s.records.map((r) => notified[r.ref]).filter((t) => t !== undefined);
    if (sent.length && done.length) span += Math.max(...done) - Math.min(...sent);
  }
  return {
    sent: segments.reduce((n, s) => n + s.sent, 0),
    answered2xx: ok.length,
    errors: records.length - ok.length + segments.reduce((n, s) => n + s.errors, 0),
    completed: e2e.length,
    acceptP50: percentile(
      ok.map((r) => r.answeredAt - r.sentAt),
      50,
    ),
    acceptP99: percentile(
      ok.map((r) => r.answeredAt - r.sentAt),
      99,
    ),
    e2eP50: percentile(e2e, 50),
    e2eP99: percentile(e2e, 99),
    throughput: span > 0 ? e2e.length / (span / 1000) : 0,
    rss,
  };
}

interface JobTimes {
  added: number;
  started: number;
}

/** When each job of a subscriber's queue was added and taken by a worker, by the order's ref. */
async function jobTimes(prefix: string, subscriber: string): Promise<Map<string, JobTimes>> {
  const queue = new Queue(`events.{${subscriber}}`, {
    connection: { url: redisUrl },
    prefix,
  });
  try {
    const jobs = await queue.getJobs(['completed'], 0, -1);
    return new Map(
      jobs.map((j) => [
        (j.data as { payload: { ref: string } }).payload.ref,
        { added: j.timestamp, started: j.processedOn ?? Number.NaN },
      ]),
    );
  } finally {
    await queue.close();
  }
}

/**
 * Medians of the hops of keel's critical path: from the timings its handlers store on each order and
 * from BullMQ's job timestamps (added, taken by a worker).
 */
async function keelHops(
  mongoUrl: string,
  dbName: string,
  prefix: string,
  records: RequestRecord[],
  notified: Record<string, number>,
): Promise<Record<string, number>> {
  const client = await MongoClient.connect(mongoUrl);
  try {
    const sent = new Map(records.map((r) => [r.ref, r.sentAt]));
    const docs = await client
      .db(dbName)
      .collection('bench_orders')
      .find({ ref: { $in: [...sent.keys()] } })
      .toArray();
    const aiJobs = await jobTimes(prefix, 'workflow.analysis');
    const notifyJobs = await jobTimes(prefix, 'workflow.notifications');
    const hops: Array<[string, number[]]> = [
      ['send → order written (HTTP, auth, validation, tx)', []],
      ['order written → AI job added (commit, relay)', []],
      ['AI job added → taken by the worker (BullMQ)', []],
      ['taken → AI handler starts (inbox check)', []],
      ['AI call', []],
      ['AI answer → notification job added (step tx, commit, relay)', []],
      ['notification job added → taken by the worker (BullMQ)', []],
      ['taken → notification handler starts (inbox check)', []],
      ['notification call (until delivered)', []],
    ];
    for (const d of docs) {
      const ref = d.ref as string;
      const done = notified[ref];
      const a = d.analysis as { startedAt: number; answeredAt: number } | undefined;
      const n = d.notification as { startedAt: number } | undefined;
      const aj = aiJobs.get(ref);
      const nj = notifyJobs.get(ref);
      if (!a || !n || !aj || !nj || done === undefined) continue;
      const created = (d.createdAt as Date).getTime();
      const points = [
        sent.get(ref)!,
        created,
        aj.added,
        aj.started,
        a.startedAt,
        a.answeredAt,
        nj.added,
        nj.started,
        n.startedAt,
        done,
      ];
      hops.forEach(([, xs], i) => xs.push(points[i + 1]! - points[i]!));
    }
    return Object.fromEntries(hops.map(([k, v]) => [k, round(percentile(v, 50))]));
  } finally {
    await client.close();
  }
}

/** Runs the built keel (bench/run.ts builds dist/ first). */
export const needsDist = true;

export async function run(): Promise<BenchResult> {
  const tag = randomBytes(3).toString('hex');
  const prefix = `bench:wf:${tag}`;
  const snap = await snapshot(['bench/support', 'bench/workflow/app']);
  const procs: Proc[] = [];
  let driver: Driver | undefined;
  const loads: string[] = [];
  try {
    const auth = benchAuth();
    const tokens = await auth.tokens(20);
    const started = await Driver.start();
    driver = started.driver;

    const profDir = join(benchLogDir(), 'cpu-profiles');
    const profiling = process.env.BENCH_CPU_PROF === '1';
    if (profiling) mkdirSync(profDir, { recursive: true });
    const profile = (name: string) =>
      profiling ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${name}.cpuprofile`] : [];

    const mongoPort = await freePort();
    const mongo = startNode(
      'workflow-mongo',
      [snap.path('src/platform/database/embedded/standalone.js')],
      {
        EMBEDDED_MONGO_PORT: String(mongoPort),
        EMBEDDED_MONGO_HOST: '127.0.0.1',
      },
      { execArgv: profile('workflow-mongo') },
    );
    procs.push(mongo);
    const mongoUrl = (await waitLog(mongo, /mongodb:\/\/\S+/))[0];
    const keel = async (
      name: string,
      role: 'api' | 'worker',
      system: 'chain' | 'keel',
    ): Promise<{ p: Proc; url: string }> => {
      const port = await freePort();
      const p = startNode(
        name,
        [snap.path('bench/workflow/app/main.js')],
        {
          NODE_ENV: 'production',
          LOG_LEVEL: 'info',
          APP_ROLE: role,
          HOST: '127.0.0.1',
          PORT: String(port),
          MONGO_URL: mongoUrl,
          MONGO_DB: `bench_wf_${system}_${tag}`,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: `${prefix}:${system}`,
          // Rate limits stay on (each request still counts in Redis) but never trip.
          RATE_LIMIT_MAX: '1000000000',
          DRAIN_DELAY_MS: '0',
          // The workflow's subscribers wait on providers (I/O): let each run many jobs at once.
          EVENTS_CONCURRENCY: '32',
          BENCH_PROVIDERS_URL: started.providersUrl,
          ...auth.env,
        },
        { execArgv: profile(name) },
      );
      procs.push(p);
      const url = `http://127.0.0.1:${port}`;
      return { p, url };
    };
    const chain = await keel('chain-api', 'api', 'chain');
    const api = await keel('keel-api', 'api', 'keel');
    const worker = await keel('keel-worker', 'worker', 'keel');
    await Promise.all([chain, api, worker].map((k) => waitHttp(k.p, `${k.url}/health/ready`, 90_000)));

    const targets = {
      chain: {
        url: `${chain.url}/v1/bench/chain-orders`,
        procs: [chain.p, mongo],
      },
      keel: {
        url: `${api.url}/v1/bench/orders`,
        procs: [api.p, worker.p, mongo],
      },
    };
    const results: Record<'chain' | 'keel', SegmentResult[]> = {
      chain: [],
      keel: [],
    };
    const rss: Record<'chain' | 'keel', Record<string, number>> = {
      chain: {},
      keel: {},
    };
    // CPU time each process used during a system's measured segments (ms).
    const cpu: Record<'chain' | 'keel', Record<string, number>> = {
      chain: {},
      keel: {},
    };
    // When profiling: each system's measured windows, for bench/support/profile-summary.ts --windows.
    const windows: Record<string, Window[]> = {};

    const waitCompleted = async (r: SegmentResult) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { notified } = await driver!.notifications();
        const open = r.records.filter((x) => x.status < 300 && notified[x.ref] === undefined).length;
        if (open === 0 || Date.now() > deadline) return;
        await new Promise((res) => setTimeout(res, 250));
      }
    };
    const runSegment = async (system: 'chain' | 'keel', seconds: number, measured: boolean) => {
      const sampler = sampleRss(targets[system].procs);
      const cpu0 = targets[system].procs.map((p) => cpuMs(p.pid));
      const from = profileClock();
      const r = await driver!.ask<SegmentResult>({
        cmd: 'segment',
        url: targets[system].url,
        rate: RATE,
        seconds,
        tokens,
      } satisfies SegmentCommand);
      await waitCompleted(r);
      const peaks = sampler.stop();
      if (!measured) return;
      (windows[system] ??= []).push([from, profileClock()]);
      targets[system].procs.forEach((p, i) => {
        cpu[system][p.name] = (cpu[system][p.name] ?? 0) + cpuMs(p.pid) - cpu0[i]!;
      });
      loads.push(`${system}: ${loadNote()}`);
      results[system].push(r);
      for (const [name, mb] of Object.entries(peaks)) rss[system][name] = Math.max(rss[system][name] ?? 0, mb);
    };

    console.log(
      `workflow: ${RATE} requests/s (evenly spaced), segments of ${SECONDS} s, order chain-keel-keel-chain; providers: payment ${LATENCY_MS.payment} ms, AI ${LATENCY_MS.ai} ms, notification ${LATENCY_MS.notification} ms`,
    );
    await runSegment('chain', WARMUP_SECONDS, false);
    await runSegment('keel', WARMUP_SECONDS, false);
    for (const system of ['chain', 'keel', 'keel', 'chain'] as const) await runSegment(system, SECONDS, true);

    if (profiling) writeFileSync(join(profDir, 'windows.json'), JSON.stringify(windows));
    const { notified, calls } = await driver.notifications();
    const chainF = figuresOf(results.chain, notified, rss.chain);
    const keelF = figuresOf(results.keel, notified, rss.keel);
    const hops = await keelHops(
      mongoUrl,
      `bench_wf_keel_${tag}`,
      `${prefix}:keel`,
      results.keel.flatMap((x) => x.records),
      notified,
    );
    const mb = (x: number | undefined) => (x === undefined ? '-' : Math.round(x));
    const rows = [
      {
        system: 'synchronous chain (201 after all three calls)',
        f: chainF,
        api: rss.chain['chain-api'],
        worker: undefined,
      },
      {
        system: 'keel (202, events, worker)',
        f: keelF,
        api: rss.keel['keel-api'],
        worker: rss.keel['keel-worker'],
      },
    ];
    console.log(`\n${machine()}; ${loads.join('; ')}`);
    printTable(
      rows.map(({ system, f, api: a, worker: w }) => ({
        system,
        sent: f.sent,
        'accept p50 ms': round(f.acceptP50),
        'accept p99 ms': round(f.acceptP99),
        'e2e p50 ms': round(f.e2eP50),
        'e2e p99 ms': round(f.e2eP99),
        'completed/s': round(f.throughput, 2),
        errors: f.errors,
        incomplete: f.answered2xx - f.completed,
        'api RSS MB': mb(a),
        'worker RSS MB': mb(w),
      })),
    );
    const r = (k: keyof SystemFigures) => (keelF[k] as number) / (chainF[k] as number);
    const acceptCut = 1 - r('acceptP50');
    console.log(
      `ratios keel / chain: accept p50 ${r('acceptP50').toFixed(3)} (${(acceptCut * 100).toFixed(1)}% lower; target >= 95%), accept p99 ${r('acceptP99').toFixed(3)}, e2e p50 ${r('e2eP50').toFixed(3)} (target <= 1), e2e p99 ${r('e2eP99').toFixed(3)}, throughput ${r('throughput').toFixed(3)}`,
    );
    const perWorkflow = (system: 'chain' | 'keel', f: SystemFigures) =>
      Object.entries(cpu[system])
        .map(([name, ms]) => `${name} ${(ms / Math.max(1, f.completed)).toFixed(2)}`)
        .join(', ');
    console.log(
      `CPU ms per completed workflow: chain: ${perWorkflow('chain', chainF)}; keel: ${perWorkflow('keel', keelF)}`,
    );
    console.log('keel critical path, medians (ms):');
    for (const [hop, ms] of Object.entries(hops)) console.log(`  ${String(ms).padStart(7)}  ${hop}`);
    console.log(
      `embedded MongoDB peak RSS: ${mb(rss.keel['workflow-mongo'])} MB; provider calls: ${JSON.stringify(calls)}; logs: ${benchLogDir()}${profiling ? `; CPU profiles: ${profDir}` : ''}`,
    );
    const fmt = (f: SystemFigures) =>
      `accept p50/p99 ${round(f.acceptP50)}/${round(f.acceptP99)} ms, e2e p50/p99 ${round(f.e2eP50)}/${round(f.e2eP99)} ms, ${round(f.throughput, 1)} done/s, ${f.errors} errors`;
    return {
      summary:
        `${RATE} req/s, 2x${SECONDS} s each: chain ${fmt(chainF)}, api ${mb(rss.chain['chain-api'])} MB; ` +
        `keel ${fmt(keelF)}, api ${mb(rss.keel['keel-api'])} MB, worker ${mb(rss.keel['keel-worker'])} MB; ` +
        `keel/chain accept p50 ${r('acceptP50').toFixed(3)} (${(acceptCut * 100).toFixed(1)}% lower), e2e p50 ${r('e2eP50').toFixed(3)}; ${loads[loads.length - 1]}`,
      figures: {
        rate: RATE,
        chainAcceptP50: round(chainF.acceptP50),
        chainAcceptP99: round(chainF.acceptP99),
        chainE2eP50: round(chainF.e2eP50),
        chainE2eP99: round(chainF.e2eP99),
        chainThroughput: round(chainF.throughput, 2),
        chainErrors: chainF.errors,
        keelAcceptP50: round(keelF.acceptP50),
        keelAcceptP99: round(keelF.acceptP99),
        keelE2eP50: round(keelF.e2eP50),
        keelE2eP99: round(keelF.e2eP99),
        keelThroughput: round(keelF.throughput, 2),
        keelErrors: keelF.errors,
        acceptP50Ratio: round(r('acceptP50'), 3),
        e2eP50Ratio: round(r('e2eP50'), 3),
        chainApiRssMb: mb(rss.chain['chain-api']),
        keelApiRssMb: mb(rss.keel['keel-api']),
        keelWorkerRssMb: mb(rss.keel['keel-worker']),
      },
    };
  } finally {
    driver?.exit();
    // The database last, so the apps drain against it.
    await Promise.all(procs.filter((p) => p !== procs[0]).map((p) => p.stop()));
    await procs[0]?.stop();
    await dropKeys(prefix).catch(() => undefined);
    snap.cleanup();
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
