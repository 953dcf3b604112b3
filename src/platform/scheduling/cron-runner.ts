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
    const asked = Date.now();
    try {
      mine = await this.ledger.start(def.name, fireAt, this.runnerId, def.leaseMs);
    } finally {
      if (!mine) await lock?.unlock().catch(() => undefined);
    }
    if (!mine) return this.lost(def, fireAt, 'ledger');
    await this.execute(def, fireAt, 1, asked, lock);
  }

  /** Takes over expired ticks of these crons; returns how many this replica took. */
  async takeOverExpired(defs: Map<string, CronDefinition>): Promise<number> {
    if (this.stopping || defs.size === 0) return 0;
    let taken = 0;
    for (const seen of await this.ledger.expired([...defs.keys()])) {
      const def = defs.get(seen.name)!;
      // Still running here: this replica is alive, and its own lease guard aborts the run if it is too late.
      if (this.active.has(runId(seen.name, seen.fireAt))) continue;
      const attempt = await this.lock.acquire(def.name, seen.fireAt, def.leaseMs);
      if (attempt.outcome === 'lost') continue;
      const lock = attempt.outcome === 'acquired' ? attempt.lock : undefined;
      const asked = Date.now();
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
      void this.execute(def, seen.fireAt, run.attempts, asked, lock);
    }
    return taken;
  }

  private lost(def: CronDefinition, fireAt: Date, by: string): void {
    this.logger.debug(`${def.name} ${fireAt.toISOString()}: another replica has it (${by})`);
    this.signals.signal({ kind: 'contention', name: def.name, fireAt });
  }

  /**
   * Runs the body under the lease. The lease is renewed every third of its length; if a renewal is refused
   * (another replica took over) or none lands before the last fifth of the lease, the run is aborted
   * before any other replica may take it over. An aborted run is not finished in the ledger: it is
   * released there, for another replica to take over at once.
   */
  private async execute(
    def: CronDefinition,
    fireAt: Date,
    attempt: number,
    leaseFrom: number,
    lock?: { extend(ms: number): Promise<unknown>; unlock(): Promise<void> },
  ): Promise<void> {
    const id = runId(def.name, fireAt);
    const ctl = new AbortController();
    let release!: () => void;
    this.active.set(id, { ctl, done: new Promise<void>((r) => (release = r)) });
    let currentLock = lock;
    let settled = false;
    const margin = Math.max(250, Math.floor(def.leaseMs / 5));
    let leaseEnds = leaseFrom + def.leaseMs;
    const lose = (why: string) => {
      if (settled || ctl.signal.aborted) return;
      this.logger.warn(`${def.name} ${fireAt.toISOString()}: ${why}; aborting this run`);
      this.signals.signal({ kind: 'lease-lost', name: def.name, fireAt });
      ctl.abort(new Error(why));
    };
    const holdsLease = () => {
      if (Date.now() >= leaseEnds - margin) lose('the lease is about to run out unrenewed');
      return !ctl.signal.aborted;
    };
    let guard = setTimeout(holdsLease, leaseEnds - margin - Date.now());
    const beat = setInterval(
      () => {
        void (async () => {
          currentLock = ((await currentLock?.extend(def.leaseMs).catch(() => undefined)) as typeof lock) ?? currentLock;
          const sent = Date.now();
          const owned = await this.ledger.heartbeat(id, this.runnerId, def.leaseMs).catch(() => undefined);
          if (owned === false) return lose('lease lost to another replica');
          // A failed renewal (database unreachable) leaves the deadline where it was, for the guard.
          if (owned !== true || settled) return;
          leaseEnds = sent + def.leaseMs;
          clearTimeout(guard);
          guard = setTimeout(holdsLease, leaseEnds - margin - Date.now());
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
    let error: string | undefined;
    try {
      await def.fn({ name: def.name, fireAt, attempt, signal: ctl.signal, holdsLease });
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    settled = true;
    clearInterval(beat);
    clearTimeout(guard);
    try {
      if (ctl.signal.aborted) {
        await this.ledger.release(id, this.runnerId).catch(() => undefined);
      } else if (error === undefined) {
        if (await this.ledger.finish(id, this.runnerId))
          this.signals.signal({ kind: 'completed', name: def.name, fireAt, ms: Date.now() - started });
      } else {
        this.logger.error(`${def.name} ${fireAt.toISOString()} failed: ${error}`);
        await this.ledger.finish(id, this.runnerId, error).catch(() => undefined);
        this.signals.signal({ kind: 'failed', name: def.name, fireAt, ms: Date.now() - started, error });
      }
    } finally {
      await currentLock?.unlock().catch(() => undefined);
      this.active.delete(id);
      release();
    }
  }

  /** Stops starting ticks, waits up to `timeoutMs` for running ones, then aborts them (released, to be taken over). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const running = Promise.all([...this.active.values()].map((a) => a.done));
    const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
    await Promise.race([running, timer]);
    for (const a of this.active.values()) a.ctl.abort(new Error('shutting down'));
  }
}
