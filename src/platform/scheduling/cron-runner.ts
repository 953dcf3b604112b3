import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CronLock } from './cron-lock.js';
import { CronSignals } from './cron.signals.js';
import type { CronContext } from './exclusive-cron.decorator.js';
import { RunLedger } from './run-ledger.js';
import { runId, type CronRun } from './run-ledger.schema.js';

export interface CronDefinition {
  name: string;
  expression: string;
  leaseMs: number;
  fn: (ctx: CronContext) => Promise<unknown> | unknown;
}

/**
 * Runs ticks exactly once across replicas: Redlock (no retries) picks a replica per tick, the ledger's
 * unique id records it, heartbeats keep the lease, and a replica whose lease ran out is taken over.
 */
@Injectable()
export class CronRunner {
  readonly runnerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly logger = new Logger('ExclusiveCron');
  private readonly active = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  private stopping = false;

  constructor(
    private readonly lock: CronLock,
    private readonly ledger: RunLedger,
    private readonly signals: CronSignals,
  ) {}

  /** One replica's attempt at one tick. Losing is silent (a debug line and a counter). */
  async tick(def: CronDefinition, fireAt: Date): Promise<void> {
    if (this.stopping) return;
    const attempt = await this.lock.acquire(def.name, fireAt, def.leaseMs);
    if (attempt.outcome === 'lost') return this.lost(def, fireAt, 'lock');
    if (attempt.outcome === 'unavailable') this.signals.signal({ kind: 'lock-unavailable', name: def.name, fireAt });
    const lock = attempt.outcome === 'acquired' ? attempt.lock : undefined;
    let mine = false;
    try {
      mine = await this.ledger.start(def.name, fireAt, this.runnerId, def.leaseMs);
    } finally {
      if (!mine) await lock?.unlock().catch(() => undefined);
    }
    if (!mine) return this.lost(def, fireAt, 'ledger');
    await this.execute(def, fireAt, 1, lock);
  }

  /** Takes over expired ticks of these crons; returns how many this replica took. */
  async takeOverExpired(defs: Map<string, CronDefinition>): Promise<number> {
    if (this.stopping || defs.size === 0) return 0;
    let taken = 0;
    for (const seen of await this.ledger.expired([...defs.keys()])) {
      const def = defs.get(seen.name)!;
      const attempt = await this.lock.acquire(def.name, seen.fireAt, def.leaseMs);
      if (attempt.outcome === 'lost') continue;
      const lock = attempt.outcome === 'acquired' ? attempt.lock : undefined;
      const run: CronRun | null = await this.ledger.takeOver(seen, this.runnerId, def.leaseMs);
      if (!run) {
        await lock?.unlock().catch(() => undefined);
        continue;
      }
      taken++;
      this.logger.warn(
        `${def.name}: taking over the tick of ${seen.fireAt.toISOString()} from ${seen.runner} (lease expired)`,
      );
      this.signals.signal({
        kind: 'takeover',
        name: def.name,
        fireAt: seen.fireAt,
        from: seen.runner,
        attempt: run.attempts,
      });
      void this.execute(def, seen.fireAt, run.attempts, lock);
    }
    return taken;
  }

  private lost(def: CronDefinition, fireAt: Date, by: string): void {
    this.logger.debug(`${def.name} ${fireAt.toISOString()}: another replica has it (${by})`);
    this.signals.signal({ kind: 'contention', name: def.name, fireAt });
  }

  private async execute(
    def: CronDefinition,
    fireAt: Date,
    attempt: number,
    lock?: { extend(ms: number): Promise<unknown>; unlock(): Promise<void> },
  ): Promise<void> {
    const id = runId(def.name, fireAt);
    const ctl = new AbortController();
    let release!: () => void;
    this.active.set(id, { ctl, done: new Promise<void>((r) => (release = r)) });
    let currentLock = lock;
    let finished = false;
    const beat = setInterval(
      () => {
        void (async () => {
          currentLock = ((await currentLock?.extend(def.leaseMs).catch(() => undefined)) as typeof lock) ?? currentLock;
          const owned = await this.ledger.heartbeat(id, this.runnerId, def.leaseMs).catch(() => true);
          if (!owned && !finished && !ctl.signal.aborted) {
            this.logger.warn(`${def.name} ${fireAt.toISOString()}: lease lost to another replica; aborting this run`);
            this.signals.signal({ kind: 'lease-lost', name: def.name, fireAt });
            ctl.abort(new Error('lease lost'));
          }
        })();
      },
      Math.max(250, Math.floor(def.leaseMs / 3)),
    );
    const started = Date.now();
    this.signals.signal({
      kind: 'started',
      name: def.name,
      fireAt,
      runner: this.runnerId,
    });
    try {
      await def.fn({ name: def.name, fireAt, attempt, signal: ctl.signal });
      finished = true;
      clearInterval(beat);
      if (await this.ledger.finish(id, this.runnerId))
        this.signals.signal({
          kind: 'completed',
          name: def.name,
          fireAt,
          ms: Date.now() - started,
        });
    } catch (err) {
      finished = true;
      clearInterval(beat);
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error(`${def.name} ${fireAt.toISOString()} failed: ${message}`);
      await this.ledger.finish(id, this.runnerId, message).catch(() => undefined);
      this.signals.signal({
        kind: 'failed',
        name: def.name,
        fireAt,
        ms: Date.now() - started,
        error: message,
      });
    } finally {
      clearInterval(beat);
      await currentLock?.unlock().catch(() => undefined);
      this.active.delete(id);
      release();
    }
  }

  /** Stops starting ticks, waits up to `timeoutMs` for running ones, then aborts them (they will be taken over). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const running = Promise.all([...this.active.values()].map((a) => a.done));
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([running, timer]);
    for (const a of this.active.values()) a.ctl.abort(new Error('shutting down'));
  }
}
