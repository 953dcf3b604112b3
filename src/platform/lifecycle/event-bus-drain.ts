import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { EventBusLifecycle, EventWorkers } from '../events/index.js';
import { DrainHooks } from './drain-hooks.js';

/**
 * The event bus's part of the drain: its workers stop taking jobs and finish active ones while the
 * last HTTP requests finish; then its relay publishes what those requests committed.
 */
@Injectable()
export class EventBusDrain implements OnModuleInit {
  constructor(
    private readonly hooks: DrainHooks,
    @Optional() private readonly workers?: EventWorkers,
    @Optional() private readonly bus?: EventBusLifecycle,
  ) {}

  onModuleInit(): void {
    const { workers, bus } = this;
    if (workers)
      this.hooks.register({
        name: 'event workers',
        step: 'workers',
        run: (ms) => workers.close(ms),
      });
    if (bus)
      this.hooks.register({
        name: 'outbox relay',
        step: 'relay',
        run: (ms) => bus.drain(ms),
      });
  }
}
