export { SchedulingModule } from './scheduling.module.js';
export { ExclusiveCron, type CronContext, type ExclusiveCronOptions } from './exclusive-cron.decorator.js';
export { CronSignals, type CronSignal } from './cron.signals.js';
export { CronRunner } from './cron-runner.js';
export { RunLedger } from './run-ledger.js';
export { CronRegistry } from './cron-registry.js';
export { currentFireTime } from './fire-time.js';
