import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventWorkers } from './consume/event-workers.js';
import { EventsSettings } from './events.settings.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { OutboxSweep } from './outbox/outbox-sweep.js';

/**
 * Starts the worker side in worker roles, and shuts the bus down in order: stop the sweep, let active
 * handlers finish (bounded), then flush the fast path (handlers may have published). `drain()` is the
 * same sequence for a SIGTERM drain coordinator; calling it twice is harmless.
 */
@Injectable()
export class EventBusLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EventBus');
  private draining?: Promise<void>;

  constructor(
    private readonly settings: EventsSettings,
    private readonly workers: EventWorkers,
    private readonly sweep: OutboxSweep,
    private readonly relay: OutboxRelay,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.runsWorkers) return;
    this.workers.start();
    this.sweep.start();
  }

  drain(timeoutMs = this.settings.config.EVENTS_DRAIN_TIMEOUT_MS): Promise<void> {
    this.draining ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      await this.sweep.stop();
      const clean = await this.workers.close(Math.max(0, deadline - Date.now()));
      if (!clean)
        this.logger.warn(`active handlers did not finish within ${timeoutMs} ms: aborted, they will be redelivered`);
      if (!(await this.relay.drain(Math.max(100, deadline - Date.now())))) {
        this.logger.warn('fast-path publishes still pending at shutdown: the sweep will publish them');
      }
    })();
    return this.draining;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.drain();
  }
}
