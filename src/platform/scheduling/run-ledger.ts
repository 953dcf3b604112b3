import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { CRON_RUN_MODEL, runId, type CronRun } from './run-ledger.schema.js';

/** The Mongo run ledger: who runs which tick, until when, and how it ended. */
@Injectable()
export class RunLedger {
  constructor(@InjectModel(CRON_RUN_MODEL) readonly model: Model<CronRun>) {}

  /** Records a new tick for `runner`; false if the tick is already recorded (someone else has it). */
  async start(name: string, fireAt: Date, runner: string, leaseMs: number): Promise<boolean> {
    const now = new Date();
    try {
      await this.model.insertMany(
        [
          {
            _id: runId(name, fireAt),
            name,
            fireAt,
            status: 'running',
            runner,
            previousRunners: [],
            leaseUntil: new Date(now.getTime() + leaseMs),
            attempts: 1,
            startedAt: now,
          },
        ],
        { lean: true },
      );
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /** Running ticks of these crons whose lease ran out: their runner died or hung. */
  expired(names: string[], limit = 20): Promise<CronRun[]> {
    return this.model
      .find({
        status: 'running',
        name: { $in: names },
        leaseUntil: { $lt: new Date() },
      })
      .sort({ leaseUntil: 1 })
      .limit(limit)
      .lean<CronRun[]>();
  }

  /**
   * Atomically moves an expired tick from its (dead) runner to `runner`; null if another replica was
   * faster or the tick finished meanwhile. `seen` is the record as read by `expired()`.
   */
  takeOver(seen: CronRun, runner: string, leaseMs: number): Promise<CronRun | null> {
    const now = new Date();
    return this.model
      .findOneAndUpdate(
        {
          _id: seen._id,
          status: 'running',
          runner: seen.runner,
          attempts: seen.attempts,
          leaseUntil: { $lt: now },
        },
        {
          $set: { runner, leaseUntil: new Date(now.getTime() + leaseMs) },
          $inc: { attempts: 1 },
          $push: { previousRunners: seen.runner },
        },
        { returnDocument: 'after' },
      )
      .lean<CronRun>();
  }

  /** Extends the lease while `runner` still owns the running tick; false once it does not. */
  async heartbeat(id: string, runner: string, leaseMs: number): Promise<boolean> {
    const res = await this.model.updateOne(
      { _id: id, runner, status: 'running' },
      { $set: { leaseUntil: new Date(Date.now() + leaseMs) } },
    );
    return res.matchedCount === 1;
  }

  /** Gives an unfinished tick up: its lease ends now, so another replica takes it over at its next scan. */
  async release(id: string, runner: string): Promise<void> {
    await this.model.updateOne({ _id: id, runner, status: 'running' }, { $set: { leaseUntil: new Date() } });
  }

  async finish(id: string, runner: string, error?: string): Promise<boolean> {
    const res = await this.model.updateOne(
      { _id: id, runner, status: 'running' },
      {
        $set: {
          status: error === undefined ? 'completed' : 'failed',
          finishedAt: new Date(),
          ...(error === undefined ? {} : { error }),
        },
      },
    );
    return res.matchedCount === 1;
  }

  recent(name: string, limit: number): Promise<CronRun[]> {
    return this.model.find({ name }).sort({ fireAt: -1 }).limit(limit).lean<CronRun[]>();
  }

  async prune(olderThan: Date): Promise<number> {
    return (
      (
        await this.model.deleteMany({
          fireAt: { $lt: olderThan },
          status: { $ne: 'running' },
        })
      ).deletedCount ?? 0
    );
  }
}
