import { Injectable } from '@nestjs/common';

/**
 * The steps of a drain that belong to other modules, in the order they run:
 * - `workers`: stop taking jobs and wait for active ones (runs while in-flight HTTP requests finish);
 * - `relay`: flush the outbox relay, after the last HTTP request has written its outbox records.
 * Each hook gets the milliseconds left before the shutdown bound and should resolve within them;
 * resolving `false` reports work it had to cut short (the process then exits 1).
 */
export type DrainStep = 'workers' | 'relay';

export interface DrainHook {
  name: string;
  step: DrainStep;
  run(budgetMs: number): Promise<unknown>;
}

@Injectable()
export class DrainHooks {
  private readonly hooks: DrainHook[] = [];

  register(hook: DrainHook): void {
    this.hooks.push(hook);
  }

  of(step: DrainStep): DrainHook[] {
    return this.hooks.filter((h) => h.step === step);
  }
}
