import { ConsoleLogger, Injectable, Logger, type LoggerService } from '@nestjs/common';
import { DrainState } from '../lifecycle/index.js';

const EVERY_MS = 30_000;

/**
 * Terminus logs every failed check. Load balancers probe every second or so, so: nothing while draining
 * (a 503 is the point then), and otherwise at most one warning per 30 s.
 */
@Injectable()
export class ReadinessLogger extends ConsoleLogger implements LoggerService {
  private readonly out = new Logger('Health');
  private lastAt = 0;
  private suppressed = 0;

  constructor(private readonly drain: DrainState) {
    super('Health');
  }

  override error(message: unknown): void {
    if (this.drain.draining) return;
    const now = Date.now();
    if (now - this.lastAt < EVERY_MS) {
      this.suppressed++;
      return;
    }
    const more = this.suppressed > 0 ? ` (${this.suppressed} more failed checks since the last warning)` : '';
    this.lastAt = now;
    this.suppressed = 0;
    this.out.warn(`${typeof message === 'string' ? message : JSON.stringify(message)}${more}`);
  }
}
