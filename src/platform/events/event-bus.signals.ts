import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

/** Everything the bus reports, for metrics and tests; the event name is `kind`. */
export type EventBusSignal =
  | { kind: 'published'; count: number; via: 'fast-path' | 'sweep' }
  | {
      kind: 'publish-failed';
      count: number;
      via: 'fast-path' | 'sweep';
      error: string;
    }
  | { kind: 'settled'; count: number }
  | {
      kind: 'handled';
      subscriber: string;
      type: string;
      ms: number;
      duplicate: boolean;
    }
  | {
      kind: 'handler-failed';
      subscriber: string;
      type: string;
      attempt: number;
      final: boolean;
      error: string;
    }
  | { kind: 'dead-lettered'; subscriber: string; type: string }
  | { kind: 'replayed'; subscriber: string; type: string };

export type EventBusSignalKind = EventBusSignal['kind'];

/**
 * Counters and an event emitter the metrics module can hook without touching the bus:
 * `signals.on('handled', (s) => histogram.observe({ subscriber: s.subscriber }, s.ms / 1000))`.
 * Counters count occurrences (published/settled count events).
 */
@Injectable()
export class EventBusSignals extends EventEmitter {
  readonly counters: Record<EventBusSignalKind, number> = {
    published: 0,
    'publish-failed': 0,
    settled: 0,
    handled: 0,
    'handler-failed': 0,
    'dead-lettered': 0,
    replayed: 0,
  };

  signal(s: EventBusSignal): void {
    this.counters[s.kind] += 'count' in s ? s.count : 1;
    this.emit(s.kind, s);
  }
}
