import { Injectable, Logger } from '@nestjs/common';
import { errorMessage } from '../errors.js';
import { EventBusSignals } from '../event-bus.signals.js';
import { toDomainEvent } from '../events.schemas.js';
import { EventsSettings } from '../events.settings.js';
import { SubscriberRegistry } from '../subscriptions/subscriber-registry.js';
import { OutboxRelay, sleep } from './outbox-relay.js';
import { OutboxStore } from './outbox.store.js';

const BATCH = 500;
const MAX_BATCHES_PER_TICK = 20;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * The outbox's safety net, run by worker roles. Every EVENTS_SWEEP_INTERVAL_MS it claims due records
 * (never handed to BullMQ within EVENTS_SWEEP_GRACE_MS, or handed over EVENTS_REDELIVER_AFTER_MS ago)
 * and settles them: deliveries handled (inbox) or dead-lettered are done, the rest are (re-)enqueued.
 * That also recovers jobs Redis lost (restart without persistence). A record is deleted once settled.
 */
@Injectable()
export class OutboxSweep {
  private readonly logger = new Logger('OutboxSweep');
  private running?: Promise<void>;
  private stopped = false;
  private lastPrune = 0;

  constructor(
    private readonly store: OutboxStore,
    private readonly relay: OutboxRelay,
    private readonly registry: SubscriberRegistry,
    private readonly settings: EventsSettings,
    private readonly signals: EventBusSignals,
  ) {}

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    this.running = undefined;
  }

  private async loop(): Promise<void> {
    const interval = this.settings.config.EVENTS_SWEEP_INTERVAL_MS;
    while (!this.stopped) {
      try {
        await this.sweepOnce();
        await this.pruneInboxNow();
      } catch (err) {
        this.logger.warn(`sweep failed: ${errorMessage(err)}`);
      }
      for (let waited = 0; waited < interval && !this.stopped; waited += 50) await sleep(Math.min(50, interval));
    }
  }

  /** One pass; returns how many records it looked at. Exposed for tests. */
  async sweepOnce(): Promise<number> {
    const c = this.settings.config;
    const lease = Math.max(c.EVENTS_PUBLISH_TIMEOUT_MS * 5, 10_000);
    let seen = 0;
    for (let i = 0; i < MAX_BATCHES_PER_TICK && !this.stopped; i++) {
      const { claim, records } = await this.store.claimDue(BATCH, lease);
      seen += records.length;
      if (records.length === 0) break;
      const open = await this.store.unsettled(records, (s, type) => {
        const handler = this.registry.handler(s, type);
        return !handler ? 'gone' : handler.inbox === false ? 'no-inbox' : 'inbox';
      });
      const settled = records.filter((r) => open.get(r._id)!.length === 0).map((r) => r._id);
      await this.store.remove(settled, claim);
      if (settled.length > 0) this.signals.signal({ kind: 'settled', count: settled.length });
      const deliveries = records
        .filter((r) => open.get(r._id)!.length > 0)
        .map((r) => ({
          event: toDomainEvent(r),
          subscribers: open.get(r._id)!,
        }));
      const published = await this.relay.enqueue(deliveries, 'sweep');
      await this.store.markPublished(published, c.EVENTS_REDELIVER_AFTER_MS, claim);
      if (records.length < BATCH || published.length < deliveries.length) break;
    }
    return seen;
  }

  private async pruneInboxNow(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const cutoff = new Date(Date.now() - this.settings.config.EVENTS_INBOX_RETENTION_S * 1000);
    const n = await this.store.pruneInbox(cutoff);
    if (n > 0) this.logger.log(`pruned ${n} inbox records older than ${cutoff.toISOString()}`);
  }
}
