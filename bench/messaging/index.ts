// bench/messaging: cross-replica delivery latency. API processes share one Redis and one embedded MongoDB
// (its own process): posting replicas A1..An (BENCH_MSG_POSTERS, default 1) and B. A loader process posts at
// a fixed rate (default 1,000 msg/s for 10 s) into BENCH_MSG_CONVERSATIONS conversations (default 1), each
// conversation through one posting replica (a load balancer hashing on the path); on B one SSE client per
// conversation timestamps every message event. Latency = B's receipt − the loader's send time (the same
// clock): the POST on an A (group commit), Redis pub/sub, and B's stream. On a 2-core machine more posters
// or conversations cost more CPU per message (smaller group commits, one more process), not less.
//   node --import tsx bench/messaging/index.ts      (BENCH_MSG_RATE, BENCH_MSG_SECONDS to change the load)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { transpileProject } from '../../test/events/support/build-fixtures.js';
import { devToken } from '../../test/support/auth/dev-tokens.js';
import { freePort } from '../../test/support/free-port.js';
import { openSse, type SseClient } from '../../test/support/sse.js';
import { machine, printTable, type BenchResult } from '../support/results.js';

const RATE = Number(process.env.BENCH_MSG_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_MSG_SECONDS ?? 10);
const POSTERS = Number(process.env.BENCH_MSG_POSTERS ?? 1);
const CONVERSATIONS = Number(process.env.BENCH_MSG_CONVERSATIONS ?? 1);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const loaderPath = fileURLToPath(new URL('./loader.mjs', import.meta.url));
// BENCH_MSG_CPU_PROF=<dir>: write a V8 CPU profile of MongoDB, A and B there.
const PROFILE = process.env.BENCH_MSG_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_MSG_CPU_PROF] : [];

const children: ChildProcess[] = [];
function start(args: string[], env: Record<string, string>): { proc: ChildProcess; output: () => string } {
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  children.push(proc);
  return { proc, output: () => out };
}

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve(probe()).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU seconds a process has used so far (Linux /proc; NaN elsewhere). Clock ticks are 1/100 s on Linux. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

async function load(
  urls: string[],
  token: string,
  conversationIds: string[],
  rate: number,
  seconds: number,
  prefix: string,
): Promise<any> {
  const loader = start([loaderPath, JSON.stringify({ urls, token, conversationIds, rate, seconds, prefix })], {});
  const code = await new Promise<number | null>((resolve) => loader.proc.once('exit', resolve));
  const line = /^RESULT (.*)$/m.exec(loader.output())?.[1];
  if (code !== 0 || !line) throw new Error(`loader exited with ${code}:\n${loader.output().slice(-2000)}`);
  return JSON.parse(line);
}

async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function run(): Promise<BenchResult> {
  const tag = randomBytes(3).toString('hex');
  const prefix = `bench:msg:${tag}`;
  const build = transpileProject([]);
  const streams: SseClient[] = [];
  try {
    const mongoPort = await freePort();
    const mongo = start([...PROFILE, join(build.dir, 'src/platform/database/embedded/standalone.js')], {
      EMBEDDED_MONGO_PORT: String(mongoPort),
    });
    const mongoUrl = await until(() => /^(mongodb:\/\/\S+)$/m.exec(mongo.output())?.[1], 'the embedded MongoDB');
    const env = {
      APP_ROLE: 'api',
      HOST: '127.0.0.1',
      MONGO_URL: mongoUrl,
      MONGO_DB: `bench_msg_${tag}`,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'warn',
    };
    const ports = await Promise.all(Array.from({ length: POSTERS + 1 }, () => freePort()));
    const apps = ports.map((port) =>
      start([...PROFILE, join(build.dir, 'src/main.js')], { ...env, PORT: String(port) }),
    );
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const name = (i: number) => (i < POSTERS ? `A${i + 1}` : 'B');
    for (const [i, url] of urls.entries()) {
      await until(
        async () => (await fetch(`${url}/health/ready`)).ok,
        `replica ${name(i)} to be ready:\n${apps[i]!.output().slice(-2000)}`,
      );
    }
    const posters = urls.slice(0, POSTERS);
    const b = urls[POSTERS]!;
    const [tokenA, tokenB] = [
      await devToken('bench-a', { expiresIn: 3600 }),
      await devToken('bench-b', { expiresIn: 3600 }),
    ];
    const conversationIds: string[] = [];
    for (let c = 0; c < CONVERSATIONS; c++) {
      const created = await fetch(`${posters[0]}/v1/conversations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenA}`, 'content-type': 'application/json' },
        body: JSON.stringify({ participantIds: ['bench-b'], title: `bench ${c}` }),
      });
      conversationIds.push(((await created.json()) as { id: string }).id);
    }
    for (const id of conversationIds) {
      streams.push(await openSse(`${b}/v1/conversations/${id}/stream`, { authorization: `Bearer ${tokenB}` }));
    }

    const lastSeqs = async () => {
      let total = 0;
      for (const id of conversationIds) {
        const res = await fetch(`${posters[0]}/v1/conversations/${id}`, {
          headers: { authorization: `Bearer ${tokenA}` },
        });
        total += ((await res.json()) as { lastSeq: number }).lastSeq;
      }
      return total;
    };
    const onB = () => streams.reduce((n, s) => n + s.messages().length, 0);
    const allOnB = async (what: string) => {
      const seq = await lastSeqs();
      await until(() => (onB() >= seq ? true : undefined), what, 60_000).catch(() => undefined);
      return seq;
    };
    await load(posters, tokenA, conversationIds, Math.min(RATE, 300), 2, 'warmup');
    const warm = await allOnB('the warm-up messages on B');
    const procs: Record<string, ChildProcess> = { mongo: mongo.proc };
    apps.forEach((app, i) => (procs[name(i)] = app.proc));
    const cpuBefore = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuSeconds(p.pid)]));
    const load1 = await load(posters, tokenA, conversationIds, RATE, SECONDS, 'm');
    await new Promise((r) => setTimeout(r, 1000)); // the answers autocannon did not wait for
    await allOnB('every message on B');
    const client = await MongoClient.connect(mongoUrl);
    const stored = await client
      .db(env.MONGO_DB)
      .collection('messaging_messages')
      .countDocuments({ clientMessageId: { $regex: '^m-' } });
    await client.close();
    const cpu = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuSeconds(p.pid) - cpuBefore[k]!]));
    // Per conversation, B must see every sequence number once and in order.
    const inOrder = streams.every((sse) => {
      const seqs = sse.messages().map((e) => Number(e.id));
      return seqs.every((seq, i) => i === 0 || seq === seqs[i - 1]! + 1);
    });
    const measured = streams.flatMap((sse) =>
      sse.messages().filter((e) => String(e.data.clientMessageId).startsWith('m-')),
    );
    const latencies = measured.map((e) => e.at - Number(String(e.data.body).slice(2))).sort((x, y) => x - y);
    const server = measured.map((e) => e.at - Date.parse(e.data.sentAt)).sort((x, y) => x - y);
    const figures = {
      rateAsked: RATE,
      seconds: SECONDS,
      postsPerSec: Math.round(load1.rate),
      stored,
      failedPosts: load1.non2xx + load1.errors + load1.timeouts,
      deliveredOnB: measured.length,
      warmupMessages: warm,
      lostOnB: stored - measured.length,
      inOrderNoGaps: inOrder ? 'yes' : 'NO',
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
      maxMs: Number((latencies.at(-1) ?? NaN).toFixed(1)),
      storedToB_p50Ms: Number(percentile(server, 50).toFixed(1)),
      storedToB_p99Ms: Number(percentile(server, 99).toFixed(1)),
      postP50Ms: load1.postP50,
      postP99Ms: load1.postP99,
      loadAvg1m: Number(loadavg()[0]!.toFixed(1)),
      // CPU per stored message, independent of how busy the machine was: what the rate costs.
      cpuMsPerMsgMongo: Number(((cpu.mongo! / Math.max(1, stored)) * 1000).toFixed(2)),
      // The posting replicas together (each took 1/POSTERS of the posts).
      cpuMsPerMsgA: Number(
        (
          (Object.entries(cpu).reduce((n, [k, v]) => (k.startsWith('A') ? n + v : n), 0) / Math.max(1, stored)) *
          1000
        ).toFixed(2),
      ),
      cpuMsPerMsgB: Number(((cpu.B! / Math.max(1, stored)) * 1000).toFixed(2)),
    };
    console.log(
      `\ncross-replica delivery: POST on ${POSTERS} replica(s) A → Redis pub/sub → SSE on B (${CONVERSATIONS} conversations); ${machine()}; load average ${figures.loadAvg1m}`,
    );
    printTable([figures]);
    return {
      summary: `${RATE} msg/s asked for ${SECONDS} s through ${POSTERS} posting replica(s) into ${CONVERSATIONS} conversations (${figures.postsPerSec}/s achieved, ${stored} stored, ${measured.length} delivered on B, ${figures.lostOnB} lost, in order: ${figures.inOrderNoGaps}): cross-replica latency p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms`,
      figures,
    };
  } finally {
    for (const sse of streams) sse.close();
    // SIGTERM first: a process writes its CPU profile when it exits on a signal it handles.
    for (const c of children) if (c.exitCode === null) c.kill(PROFILE.length ? 'SIGTERM' : 'SIGKILL');
    if (PROFILE.length) await new Promise((r) => setTimeout(r, 10_000));
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await dropKeys(prefix).catch(() => undefined);
    build.cleanup();
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
