import { Schema } from 'mongoose';

/** One tick of one exclusive cron. `_id` is `<name>@<fire time ISO>`; (name, fireAt) is also unique. */
export interface CronRun {
  _id: string;
  name: string;
  fireAt: Date;
  status: 'running' | 'completed' | 'failed';
  runner: string;
  /** Runners that held the tick before a takeover, oldest first. */
  previousRunners: string[];
  leaseUntil: Date;
  attempts: number;
  startedAt: Date;
  finishedAt?: Date;
  error?: string;
}

export const CRON_RUN_MODEL = 'KeelCronRun';

export const CronRunSchema = new Schema<CronRun>(
  {
    _id: String,
    name: { type: String, required: true },
    fireAt: { type: Date, required: true },
    status: {
      type: String,
      enum: ['running', 'completed', 'failed'],
      required: true,
    },
    runner: String,
    previousRunners: [String],
    leaseUntil: Date,
    attempts: Number,
    startedAt: Date,
    finishedAt: Date,
    error: String,
  },
  { collection: 'cron_runs', versionKey: false },
);
CronRunSchema.index({ name: 1, fireAt: -1 }, { unique: true });
CronRunSchema.index({ status: 1, leaseUntil: 1 });

export function runId(name: string, fireAt: Date): string {
  return `${name}@${fireAt.toISOString()}`;
}
