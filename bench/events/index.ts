// bench/events: events/s end to end (publish in a Mongo transaction → outbox → relay → BullMQ →
// transactional handler with inbox) beside raw BullMQ add+process on the same Redis, in the same run.
//   node --import tsx bench/events/index.ts        (BENCH_EVENTS=N to change the size, default 5000)
//   BENCH_CPU_PROF=1 writes a .cpuprofile of the keel process (app, workers and database in one)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { transpileProject } from '../../test/events/support/build-fixtures.js';
import { benchLogDir } from '../support/procs.js';
import { machine, printTable, type BenchResult } from '../support/results.js';
import type { KeelRunOptions, KeelRunResult } from './keel-side.js';
import { runRaw } from './raw-side.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5000);
const PER_TRANSACTION = 10;
const PUBLISHERS = 8;
const CONCURRENCY = 16;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

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

function runKeelChild(entry: string, options: KeelRunOptions): Promise<KeelRunResult> {
  return new Promise((resolve, reject) => {
    const profile =
      process.env.BENCH_CPU_PROF === '1'
        ? [
            '--cpu-prof',
            '--cpu-prof-dir',
            join(benchLogDir(), 'cpu-profiles'),
            '--cpu-prof-name',
            'events-keel.cpuprofile',
          ]
        : [];
    if (profile.length) console.log(`CPU profile: ${profile[2]}`);
    const child = spawn(process.execPath, [...profile, entry, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = /^RESULT (.*)$/m.exec(out)?.[1];
      if (code === 0 && line) resolve(JSON.parse(line) as KeelRunResult);
      else reject(new Error(`keel side exited with ${code}:\n${out.slice(-4000)}`));
    });
  });
}

export async function run(): Promise<BenchResult> {
  const tag = randomBytes(3).toString('hex');
  const build = transpileProject(['bench/events']);
  try {
    const rawPrefix = `bench:raw:${tag}`;
    const keelPrefix = `bench:keel:${tag}`;
    const raw = await runRaw({
      jobs: EVENTS,
      producers: PUBLISHERS,
      concurrency: CONCURRENCY,
      redisUrl: REDIS_URL,
      prefix: rawPrefix,
    });
    const keel = await runKeelChild(join(build.dir, 'bench/events/keel-side.js'), {
      events: EVENTS,
      perTransaction: PER_TRANSACTION,
      publishers: PUBLISHERS,
      concurrency: CONCURRENCY,
      redisUrl: REDIS_URL,
      prefix: keelPrefix,
    });
    await Promise.all([dropKeys(rawPrefix), dropKeys(keelPrefix)]);
    const rate = (ms: number) => Math.round((EVENTS / ms) * 1000);
    const rawRate = rate(raw.endToEndMs);
    const keelRate = rate(keel.endToEndMs);
    const ratio = keelRate / rawRate;
    console.log(
      `\n${EVENTS} events, ${PUBLISHERS} producers, worker concurrency ${CONCURRENCY}, keel in one process (app, workers and embedded MongoDB); ${machine()}`,
    );
    printTable([
      {
        path: 'raw BullMQ: queue.add → no-op worker',
        'produce/s': rate(raw.addMs),
        'end-to-end/s': rawRate,
        ms: Math.round(raw.endToEndMs),
      },
      {
        path: `keel: tx(${PER_TRANSACTION} events) → outbox → relay → handler tx + inbox`,
        'produce/s': rate(keel.publishMs),
        'end-to-end/s': keelRate,
        ms: Math.round(keel.endToEndMs),
      },
    ]);
    console.log(`ratio keel / raw BullMQ (end to end): ${ratio.toFixed(3)}`);
    return {
      summary: `${EVENTS} events end to end: keel ${keelRate}/s vs raw BullMQ ${rawRate}/s (ratio ${ratio.toFixed(3)})`,
      figures: {
        events: EVENTS,
        keelPerSec: keelRate,
        rawPerSec: rawRate,
        ratio: Number(ratio.toFixed(3)),
        keelPublishPerSec: rate(keel.publishMs),
      },
    };
  } finally {
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
