import type { CronTime } from 'cron';

const WINDOW_MS = 30_000;
const EARLY_TOLERANCE_MS = 250;
const MAX_CATCH_UP = 60;

/**
 * The scheduled time of the tick firing now: the latest time of the schedule at or before `now`
 * (allowing a timer that fires a hair early). Every replica computes the same value for the same tick,
 * which is what keys the lock and the ledger. Undefined if no tick fell in the last 30 s.
 */
export function currentFireTime(cron: CronTime, now = Date.now()): Date | undefined {
  return dueFireTimes(cron, undefined, now).at(-1);
}

/**
 * The ticks due now that this replica has not tried yet: every scheduled time after `after` (the last
 * tick it tried) up to now, at most 60 and none older than 30 s. A replica whose event loop stalled past
 * a tick thus still tries it (the lock and the ledger make that harmless if another replica ran it).
 * Without `after`, only the current tick.
 */
export function dueFireTimes(cron: CronTime, after: Date | undefined, now = Date.now()): Date[] {
  const limit = now + EARLY_TOLERANCE_MS;
  const from = Math.max(after?.getTime() ?? -Infinity, now - WINDOW_MS);
  const due: number[] = [];
  let t = cron.getNextDateFrom(new Date(from)).toMillis();
  while (t <= limit) {
    due.push(t);
    t = cron.getNextDateFrom(new Date(t)).toMillis();
  }
  return (after ? due.slice(-MAX_CATCH_UP) : due.slice(-1)).map((ms) => new Date(ms));
}
