import { CronTime } from 'cron';
import { dueFireTimes, currentFireTime } from '../../src/platform/scheduling/fire-time.js';

const at = (iso: string) => new Date(iso).getTime();

describe('fire times', () => {
  const everySecond = new CronTime('* * * * * *', 'UTC');
  const everyFive = new CronTime('*/5 * * * * *', 'UTC');

  it('is the scheduled time of the tick, however late or slightly early the timer fires', () => {
    expect(currentFireTime(everySecond, at('2026-01-01T00:00:07.000Z'))?.toISOString()).toBe(
      '2026-01-01T00:00:07.000Z',
    );
    expect(currentFireTime(everySecond, at('2026-01-01T00:00:07.480Z'))?.toISOString()).toBe(
      '2026-01-01T00:00:07.000Z',
    );
    expect(currentFireTime(everySecond, at('2026-01-01T00:00:06.998Z'))?.toISOString()).toBe(
      '2026-01-01T00:00:07.000Z',
    );
    expect(currentFireTime(everyFive, at('2026-01-01T00:00:13.900Z'))?.toISOString()).toBe('2026-01-01T00:00:10.000Z');
  });

  it('lists the ticks a stalled replica missed since the last one it tried, and no older than 30 s', () => {
    const due = dueFireTimes(everyFive, new Date('2026-01-01T00:00:05.000Z'), at('2026-01-01T00:00:21.000Z'));
    expect(due.map((d) => d.toISOString())).toEqual([
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:15.000Z',
      '2026-01-01T00:00:20.000Z',
    ]);
    expect(dueFireTimes(everyFive, new Date('2026-01-01T00:00:20.000Z'), at('2026-01-01T00:00:21.000Z'))).toEqual([]);
    const long = dueFireTimes(everySecond, new Date('2026-01-01T00:00:00.000Z'), at('2026-01-01T00:02:00.000Z'));
    expect(long[0]!.toISOString()).toBe('2026-01-01T00:01:31.000Z');
    expect(long.at(-1)!.toISOString()).toBe('2026-01-01T00:02:00.000Z');
  });
});
