import { OutboxStore } from './outbox.store.js';

const MAX_DELAY_MS = 200;
const FLUSH_AT = 500;

/**
 * The fast path's "jobs exist" marks, gathered for up to 200 ms (a fifth of the sweep's grace, if that
 * is shorter) and written with one updateMany instead of one per relay batch. A mark only postpones the
 * sweep's settled check, so one that comes late or is lost costs that check earlier, never a delivery.
 */
export class PublishedMarks {
  private pending: string[] = [];
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private readonly delayMs: number;

  constructor(
    private readonly store: OutboxStore,
    graceMs: number,
    private readonly redeliverAfterMs: () => number,
    private readonly onError: (count: number, err: unknown) => void,
  ) {
    this.delayMs = Math.min(MAX_DELAY_MS, Math.floor(graceMs / 5));
  }

  add(ids: string[]): void {
    if (ids.length === 0) return;
    this.pending.push(...ids);
    if (this.pending.length >= FLUSH_AT || this.delayMs === 0) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  get size(): number {
    return this.pending.length;
  }

  /** Writes what is pending (after the write in flight, one at a time); resolves when written or failed. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (this.pending.length === 0) return;
    const ids = this.pending;
    this.pending = [];
    this.writing = this.store
      .markPublished(ids, this.redeliverAfterMs())
      .catch((err: unknown) => this.onError(ids.length, err))
      .finally(() => (this.writing = undefined));
    await this.writing;
  }
}
