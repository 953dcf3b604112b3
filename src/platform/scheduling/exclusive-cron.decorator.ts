export const EXCLUSIVE_CRON_META = Symbol('keel:scheduling:exclusive-cron');

export interface ExclusiveCronOptions {
  /** Unique across the application: it keys the lock and the run ledger. */
  name: string;
  /**
   * How long a tick may go without a heartbeat before another replica takes it over (default
   * CRON_LEASE_MS). The running replica extends it every third of the lease.
   */
  leaseMs?: number;
  /** IANA time zone of the expression (default: the process's). */
  timeZone?: string;
}

export interface ExclusiveCronMeta extends ExclusiveCronOptions {
  expression: string;
}

/** What a cron body gets: which tick it runs, and a signal aborted if it lost its lease or the process stops. */
export interface CronContext {
  name: string;
  fireAt: Date;
  /** 1, or more when this tick was taken over from a replica that died. */
  attempt: number;
  signal: AbortSignal;
  /**
   * True while this run's lease is safely ahead of expiry by this process's clock. Check it right before an
   * effect that must not happen twice: unlike `signal`, it waits for no timer, so it is right even just
   * after a long event-loop stall. False once `signal` is aborted.
   */
  holdsLease(): boolean;
}

/**
 * Runs the method on every tick of `expression` (six fields with seconds, or five), once across all
 * replicas: see docs/events.md. The body should be idempotent and enqueue work rather than do it inline.
 */
export function ExclusiveCron(expression: string, options: ExclusiveCronOptions): MethodDecorator {
  return (target, key) => {
    Reflect.defineMetadata(EXCLUSIVE_CRON_META, { expression, ...options } satisfies ExclusiveCronMeta, target, key);
  };
}
