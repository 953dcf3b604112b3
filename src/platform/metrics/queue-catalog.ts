import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Queue } from 'bullmq';

/**
 * Every BullMQ queue of the application: those registered in Nest's container (BullModule.registerQueue)
 * plus those other modules create themselves and add here (the event bus's per-subscriber queues).
 * Metrics and Bull Board both read it.
 */
@Injectable()
export class QueueCatalog {
  private readonly sources: Array<() => Queue[]> = [];

  constructor(private readonly discovery: DiscoveryService) {}

  /** Adds a source of queues; it is called each time the catalog is read, so lazily created queues show up. */
  addSource(source: () => Queue[]): void {
    this.sources.push(source);
  }

  all(): Queue[] {
    const found = new Map<string, Queue>();
    const add = (q: Queue) => found.set(`${q.opts.prefix ?? 'bull'}:${q.name}`, q);
    for (const wrapper of this.discovery.getProviders()) {
      if (wrapper.isDependencyTreeStatic() && wrapper.instance instanceof Queue) add(wrapper.instance);
    }
    for (const source of this.sources) source().forEach(add);
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
