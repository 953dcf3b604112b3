import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob, CronTime } from 'cron';
import { AppConfig, BootError, roleRuns } from '../../config/index.js';
import { CronRunner, type CronDefinition } from './cron-runner.js';
import { EXCLUSIVE_CRON_META, type ExclusiveCronMeta } from './exclusive-cron.decorator.js';
import { dueFireTimes } from './fire-time.js';
import { RunLedger } from './run-ledger.js';

const NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;
const PRUNE_EVERY_MS = 10 * 60_000;

interface Scheduled extends CronDefinition {
  time: CronTime;
  timeZone?: string;
  /** The last tick this replica tried. */
  lastFireAt?: Date;
}

/**
 * Finds every `@ExclusiveCron` at bootstrap (every role, so a bad declaration fails everywhere) and, in
 * worker roles, registers each with @nestjs/schedule's SchedulerRegistry as `exclusive:<name>`, plus the
 * takeover scan for ticks whose runner died.
 */
@Injectable()
export class CronRegistry implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ExclusiveCron');
  readonly definitions = new Map<string, Scheduled>();
  private scan?: NodeJS.Timeout;
  private lastPrune = 0;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly scheduler: SchedulerRegistry,
    private readonly runner: CronRunner,
    private readonly ledger: RunLedger,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const problems: string[] = [];
    for (const { instance, metatype } of this.discovery.getProviders()) {
      if (!instance || !metatype || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const meta = Reflect.getMetadata(EXCLUSIVE_CRON_META, proto, method) as ExclusiveCronMeta | undefined;
        if (!meta) continue;
        const where = `${metatype.name}.${method}`;
        if (!NAME.test(meta.name))
          problems.push(`${where}: cron name '${meta.name}' must be lower-case words joined by dots`);
        if (this.definitions.has(meta.name)) {
          problems.push(`cron name '${meta.name}' is used twice (${where} and another method)`);
          continue;
        }
        const valid = CronTime.validateCronExpression(meta.expression);
        if (!valid.valid) {
          problems.push(`${where}: '${meta.expression}' is not a cron expression (${valid.error?.message})`);
          continue;
        }
        const fn = (instance as Record<string, CronDefinition['fn']>)[method]!.bind(instance);
        const leaseMs = meta.leaseMs ?? this.config.CRON_LEASE_MS;
        const time = new CronTime(meta.expression, meta.timeZone);
        this.definitions.set(meta.name, {
          name: meta.name,
          expression: meta.expression,
          leaseMs,
          fn,
          time,
          timeZone: meta.timeZone,
        });
      }
    }
    if (problems.length > 0)
      throw new BootError(`Exclusive crons are inconsistent:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }

  onApplicationBootstrap(): void {
    if (!roleRuns(this.config.APP_ROLE).workers || this.definitions.size === 0) return;
    for (const def of this.definitions.values()) {
      const job = CronJob.from({
        cronTime: def.expression,
        timeZone: def.timeZone,
        start: false,
        onTick: () => void this.fire(def),
      });
      this.scheduler.addCronJob(`exclusive:${def.name}`, job as CronJob);
      job.start();
    }
    this.scan = setInterval(() => void this.sweep(), this.config.CRON_TAKEOVER_INTERVAL_MS);
    this.logger.log(`scheduled ${this.definitions.size} exclusive cron(s) as runner ${this.runner.runnerId}`);
  }

  private async fire(def: Scheduled): Promise<void> {
    const due = dueFireTimes(def.time, def.lastFireAt);
    if (due.length === 0) return;
    def.lastFireAt = due.at(-1);
    await Promise.all(
      due.map((fireAt) =>
        this.runner.tick(def, fireAt).catch((err: unknown) => {
          this.logger.warn(
            `${def.name} ${fireAt.toISOString()}: could not start (${err instanceof Error ? err.message : String(err)})`,
          );
        }),
      ),
    );
  }

  private async sweep(): Promise<void> {
    try {
      await this.runner.takeOverExpired(this.definitions);
      if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = Date.now();
        await this.ledger.prune(new Date(Date.now() - this.config.CRON_RUN_RETENTION_S * 1000));
      }
    } catch (err) {
      this.logger.warn(`takeover scan failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.scan);
    for (const name of this.definitions.keys()) {
      if (this.scheduler.doesExist('cron', `exclusive:${name}`))
        await this.scheduler.getCronJob(`exclusive:${name}`).stop();
    }
    await this.runner.stop(this.config.EVENTS_DRAIN_TIMEOUT_MS);
  }
}
