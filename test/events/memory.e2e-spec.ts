import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { EventBusSignals, OnEvent, OutboxRelay, Subscriber } from '../../src/platform/events/index.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { PrivateRedis } from '../support/redis-server.js';
import { waitFor } from './support/wait.js';

const TOTAL = 100_000;
const BATCH = 500;
const SAMPLE_EVERY = 10_000;
/** Stated bound: Redis memory after 100k events is within 8 MiB of what it was after 20k. */
const BOUND_BYTES = 8 * 1024 * 1024;

@Subscriber('test.sink')
@Injectable()
class Sink {
  @OnEvent('test.load.generated', { transaction: false, inbox: false })
  handle(): void {}
}

@Module({ providers: [Sink] })
class SinkFeature {}

/**
 * Redis memory stays bounded under sustained load: completed jobs are trimmed by count and age and the
 * events stream by length. The jobs go through the real relay (ids, options, retention) and the real
 * workers. MongoDB work is left out (the outbox insert, and the inbox through `inbox: false`): it adds
 * nothing to Redis and would only make 100k events take minutes on the embedded server.
 */
describe('Redis memory under 100k events', () => {
  let redis: PrivateRedis;
  let app: RunningApp;
  let probe: Redis;

  beforeAll(async () => {
    redis = await PrivateRedis.start(['--maxmemory-policy', 'noeviction']);
    probe = new Redis(redis.url);
    app = await bootInProcess('events_memory', { REDIS_URL: redis.url, EVENTS_CONCURRENCY: '32', LOG_LEVEL: 'error' }, [
      (): DynamicModule => ({ module: SinkFeature }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    probe?.disconnect();
    await redis?.stop();
  });

  it(`stays within ${BOUND_BYTES / 2 ** 20} MiB from 20k to 100k events`, async () => {
    const relay = app.app.get(OutboxRelay);
    const signals = app.app.get(EventBusSignals);
    let handled = 0;
    signals.on('handled', () => void handled++);
    const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await probe.info('memory'))![1]);
    const samples: Array<{ events: number; bytes: number; keys: number }> = [];
    const started = Date.now();
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, i) => ({
        event: {
          id: randomUUID(),
          type: 'test.load.generated',
          version: 1,
          occurredAt: new Date(),
          aggregateId: `a${sent + i}`,
          correlationId: 'memory',
          payload: { i: sent + i, pad: 'x'.repeat(200) },
        },
        subscribers: ['test.sink'],
      }));
      expect(await relay.enqueue(batch, 'sweep')).toHaveLength(BATCH);
      // keep the backlog small: the point is sustained flow, not a queue holding 100k jobs
      await waitFor(() => handled >= sent + BATCH - 2000, {
        timeoutMs: 60_000,
        intervalMs: 10,
        what: 'workers to keep up',
      });
      if ((sent + BATCH) % SAMPLE_EVERY === 0)
        samples.push({
          events: sent + BATCH,
          bytes: await usedMemory(),
          keys: await probe.dbsize(),
        });
    }
    await waitFor(() => handled >= TOTAL, {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: 'all events handled',
    });
    const seconds = (Date.now() - started) / 1000;
    console.table(
      samples.map((s) => ({
        events: s.events,
        'used_memory MiB': (s.bytes / 2 ** 20).toFixed(2),
        keys: s.keys,
      })),
    );
    console.log(`${TOTAL} events in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)}/s)`);
    const after20k = samples.find((s) => s.events === 20_000)!;
    const worst = Math.max(...samples.filter((s) => s.events >= 20_000).map((s) => s.bytes));
    expect(worst - after20k.bytes).toBeLessThan(BOUND_BYTES);
    expect(samples.at(-1)!.keys).toBeLessThan(5000);
  }, 240_000);
});
