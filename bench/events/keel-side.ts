// The keel side of bench/events, run from a transpiled copy (Nest DI needs decorator metadata, which
// tsx does not emit). Publishes events in transactions and waits until a transactional handler
// (inbox + one effect insert) has handled every one.
import 'reflect-metadata';
import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/index.js';
import { TransactionRunner } from '../../src/platform/database/index.js';
import {
  EventBusSignals,
  EventPublisher,
  OnEvent,
  Subscriber,
  type DomainEvent,
  type HandlerContext,
} from '../../src/platform/events/index.js';

@Subscriber('bench.sink')
@Injectable()
class BenchSink {
  constructor(@InjectConnection() private readonly db: Connection) {}

  @OnEvent('bench.item.created')
  async handle(event: DomainEvent, ctx: HandlerContext): Promise<void> {
    await this.db.collection('bench_effects').insertOne({ eventId: event.id }, { session: ctx.session });
  }
}

@Module({ providers: [BenchSink] })
class BenchFeature {}

export interface KeelRunOptions {
  events: number;
  perTransaction: number;
  publishers: number;
  concurrency: number;
  redisUrl: string;
  prefix: string;
}

export interface KeelRunResult {
  publishMs: number;
  endToEndMs: number;
}

export async function runKeel(o: KeelRunOptions): Promise<KeelRunResult> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    APP_ROLE: 'all',
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    MONGO_DB: 'bench_events',
    EVENTS_CONCURRENCY: String(o.concurrency),
    PORT: '0',
  });
  const app = await createApp(config, [(): DynamicModule => ({ module: BenchFeature })]);
  await app.init();
  try {
    const tx = app.get(TransactionRunner);
    const publisher = app.get(EventPublisher);
    const signals = app.get(EventBusSignals);
    void Inject;
    let handled = 0;
    signals.on('handled', (s: { duplicate: boolean }) => void (s.duplicate || handled++));
    const transactions = Math.ceil(o.events / o.perTransaction);
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: o.publishers }, async () => {
        while (next < transactions) {
          const t = next++;
          const size = Math.min(o.perTransaction, o.events - t * o.perTransaction);
          await tx.run((session) =>
            publisher.publish(
              session,
              Array.from({ length: size }, (_, i) => ({
                type: 'bench.item.created',
                aggregateId: `${t}-${i}`,
                payload: { t, i },
              })),
            ),
          );
        }
      }),
    );
    const publishMs = performance.now() - started;
    const deadline = Date.now() + 120_000;
    while (handled < o.events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (handled < o.events) throw new Error(`only ${handled} of ${o.events} events handled within 120 s`);
    return { publishMs, endToEndMs: performance.now() - started };
  } finally {
    await app.close();
  }
}

// Run as a child process by index.ts (plain node: tsx's loader would mix Nest's ESM and CJS builds).
if (process.argv[1]?.endsWith('keel-side.js')) {
  runKeel(JSON.parse(process.argv[2]!) as KeelRunOptions).then(
    (r) => {
      console.log(`RESULT ${JSON.stringify(r)}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
