// bench/messaging: cross-replica delivery latency. Two API processes (A, B) share one Redis and one
// embedded MongoDB (its own process); a loader process posts to A at a fixed rate (default 1,000 msg/s for
// 10 s); an SSE client on B timestamps every message event. Latency = B's receipt − the loader's send
// time (the same clock): the POST on A (group commit), Redis pub/sub, and B's stream.
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
  url: string,
  token: string,
  conversationId: string,
  rate: number,
  seconds: number,
  prefix: string,
): Promise<any> {
  const loader = start([loaderPath, JSON.stringify({ url, token, conversationId, rate, seconds, prefix })], {});
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
  let sse: SseClient | undefined;
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
    const [portA, portB] = [await freePort(), await freePort()];
    const apps = [portA, portB].map((port) =>
      start([...PROFILE, join(build.dir, 'src/main.js')], { ...env, PORT: String(port) }),
    );
    const [a, b] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
    for (const [i, url] of [a, b].entries()) {
      await until(
        async () => (await fetch(`${url}/health/ready`)).ok,
        `replica ${i ? 'B' : 'A'} to be ready:\n${apps[i]!.output().slice(-2000)}`,
      );
    }
    const [tokenA, tokenB] = [
      await devToken('bench-a', { expiresIn: 3600 }),
      await devToken('bench-b', { expiresIn: 3600 }),
    ];
    const created = await fetch(`${a}/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ participantIds: ['bench-b'] }),
    });
    const conversationId = ((await created.json()) as { id: string }).id;
    sse = await openSse(`${b}/v1/conversations/${conversationId}/stream`, { authorization: `Bearer ${tokenB}` });

    const lastSeq = async () =>
      (
        (await (
          await fetch(`${a}/v1/conversations/${conversationId}`, { headers: { authorization: `Bearer ${tokenA}` } })
        ).json()) as { lastSeq: number }
      ).lastSeq;
    const allOnB = async (what: string) => {
      const seq = await lastSeq();
      await until(() => (sse!.messages().length >= seq ? true : undefined), what, 60_000).catch(() => undefined);
      return seq;
    };
    await load(a, tokenA, conversationId, Math.min(RATE, 300), 2, 'warmup');
    const warm = await allOnB('the warm-up messages on B');
    const procs = { mongo: mongo.proc, A: apps[0]!.proc, B: apps[1]!.proc };
    const cpuBefore = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuSeconds(p.pid)]));
    const load1 = await load(a, tokenA, conversationId, RATE, SECONDS, 'm');
    await new Promise((r) => setTimeout(r, 1000)); // the answers autocannon did not wait for
    await allOnB('every message on B');
    // Counted in MongoDB: autocannon stops at its deadline without waiting for the answers in flight.
    const client = await MongoClient.connect(mongoUrl);
    const stored = await client
      .db(env.MONGO_DB)
      .collection('messaging_messages')
      .countDocuments({ clientMessageId: { $regex: '^m-' } });
    await client.close();
    const cpu = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuSeconds(p.pid) - cpuBefore[k]!]));
    const events = sse.messages();
    const seqs = events.map((e) => Number(e.id));
    const inOrder = seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);
    const measured = events.filter((e) => String(e.data.clientMessageId).startsWith('m-'));
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
      cpuMsPerMsgA: Number(((cpu.A! / Math.max(1, stored)) * 1000).toFixed(2)),
      cpuMsPerMsgB: Number(((cpu.B! / Math.max(1, stored)) * 1000).toFixed(2)),
    };
    console.log(
      `\ncross-replica delivery: POST on A → Redis pub/sub → SSE on B; ${machine()}; load average ${figures.loadAvg1m}`,
    );
    printTable([figures]);
    return {
      summary: `${RATE} msg/s asked for ${SECONDS} s (${figures.postsPerSec}/s achieved, ${stored} stored, ${measured.length} delivered on B, ${figures.lostOnB} lost, in order: ${figures.inOrderNoGaps}): cross-replica latency p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms`,
      figures,
    };
  } finally {
    sse?.close();
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
