import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';

export type CronSignal =
  | { kind: 'started'; name: string; fireAt: Date; runner: string }
  | { kind: 'completed'; name: string; fireAt: Date; ms: number }
  | { kind: 'failed'; name: string; fireAt: Date; ms: number; error: string }
  /** Another replica won this tick (lock or ledger): the normal path for all replicas but one. */
  | { kind: 'contention'; name: string; fireAt: Date }
  | {
      kind: 'takeover';
      name: string;
      fireAt: Date;
      from: string;
      attempt: number;
    }
  /** This replica lost the lease of a tick it was running (it was too slow to heartbeat). */
  | { kind: 'lease-lost'; name: string; fireAt: Date }
  /** Redis was down for a tick; the ledger alone decided. */
  | { kind: 'lock-unavailable'; name: string; fireAt: Date };

export type CronSignalKind = CronSignal['kind'];

/** Counters per cron name and an emitter, for metrics: `signals.on('takeover', ...)`. */
@Injectable()
export class CronSignals extends EventEmitter {
  readonly counters = new Map<string, Record<CronSignalKind, number>>();

  signal(s: CronSignal): void {
    let c = this.counters.get(s.name);
    if (!c) {
      c = {
        started: 0,
        completed: 0,
        failed: 0,
        contention: 0,
        takeover: 0,
        'lease-lost': 0,
        'lock-unavailable': 0,
      };
      this.counters.set(s.name, c);
    }
    c[s.kind]++;
    this.emit(s.kind, s);
  }
}
