// The anchor of bench/events: plain BullMQ on the same Redis, `queue.add` one job at a time from the
// same number of producers, a no-op worker with the same concurrency, no database at all.
import { Queue, Worker } from 'bullmq';

export interface RawRunOptions {
  jobs: number;
  producers: number;
  concurrency: number;
  redisUrl: string;
  prefix: string;
}

export async function runRaw(o: RawRunOptions): Promise<{ addMs: number; endToEndMs: number }> {
  const connection = { url: o.redisUrl };
  const queue = new Queue('raw', {
    connection,
    prefix: o.prefix,
    defaultJobOptions: {
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
    },
  });
  let done = 0;
  const worker = new Worker('raw', async () => undefined, {
    connection: { ...connection, maxRetriesPerRequest: null },
    prefix: o.prefix,
    concurrency: o.concurrency,
  });
  worker.on('completed', () => void done++);
  await worker.waitUntilReady();
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: o.producers }, async () => {
        while (next < o.jobs) {
          const i = next++;
          await queue.add('item', { i });
        }
      }),
    );
    const addMs = performance.now() - started;
    const deadline = Date.now() + 120_000;
    while (done < o.jobs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (done < o.jobs) throw new Error(`only ${done} of ${o.jobs} jobs processed within 120 s`);
    return { addMs, endToEndMs: performance.now() - started };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
