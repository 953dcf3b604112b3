import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes } from 'mongoose';
import type { OwnedFields } from '../../../platform/http/index.js';
import { AI_JOB_STATUSES, type AiJobError, type AiJobStatus } from '../ai-job.status.js';
import { AI_TASKS, type AiJobResult, type AiTask, type AiTokenUsage } from '../ai-jobs.events.js';

export const AI_JOB_MODEL = 'AiJob';

/**
 * One AI job. `version` grows with every change so status streams can drop stale messages; `runId` and
 * `leaseUntil` belong to the worker running it (a lease that runs out lets another worker take over).
 */
@Schema({ collection: 'ai_jobs', versionKey: false })
export class AiJob implements OwnedFields {
  @Prop({ type: String, required: true }) ownerId: string;
  @Prop({ type: String, required: true, enum: AI_TASKS }) task: AiTask;
  @Prop({ type: SchemaTypes.Mixed, required: true }) input: unknown;
  @Prop({ type: SchemaTypes.Mixed, default: {} }) options: Record<string, unknown>;
  @Prop({ type: String, required: true, enum: AI_JOB_STATUSES, default: 'queued' }) status: AiJobStatus;
  @Prop({ type: Number, default: 0 }) progress: number;
  @Prop({ type: SchemaTypes.Mixed }) result?: AiJobResult;
  @Prop({ type: SchemaTypes.Mixed }) error?: AiJobError;
  @Prop({ type: SchemaTypes.Mixed }) usage?: AiTokenUsage;
  @Prop({ type: String }) model?: string;
  @Prop({ type: Number, default: 0 }) attempts: number;
  @Prop({ type: Number, default: 0 }) providerCalls: number;
  @Prop({ type: Boolean, default: false }) cancelRequested: boolean;
  @Prop({ type: String }) runId?: string;
  @Prop({ type: Date }) leaseUntil?: Date;
  @Prop({ type: Number, default: 0 }) version: number;
  @Prop({ type: Date, required: true }) createdAt: Date;
  @Prop({ type: Date }) startedAt?: Date;
  @Prop({ type: Date }) finishedAt?: Date;
}

export const AiJobSchema = SchemaFactory.createForClass(AiJob);
// The owner's list, newest first, optionally by status.
AiJobSchema.index({ ownerId: 1, _id: -1 });
AiJobSchema.index({ ownerId: 1, status: 1, _id: -1 });
