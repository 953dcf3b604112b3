/**
 * The public contract of the ai-jobs feature: the events it publishes. Other features import only this
 * file. `ai.job.requested` is the feature's own work item (the worker runs the job when it arrives); the
 * others announce how a job ended, once per job.
 */
export const AI_JOB_REQUESTED = 'ai.job.requested';
export const AI_JOB_COMPLETED = 'ai.job.completed';
export const AI_JOB_FAILED = 'ai.job.failed';
export const AI_JOB_CANCELLED = 'ai.job.cancelled';

export const AI_TASKS = ['summarize', 'classify', 'extract', 'chat'] as const;
export type AiTask = (typeof AI_TASKS)[number];

export interface AiTokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What a job produced: the model's text, plus its parsed form for `classify` (labels) and `extract` (data). */
export interface AiJobResult {
  text: string;
  labels?: string[];
  data?: Record<string, unknown>;
}

export interface AiJobRequestedPayload {
  jobId: string;
  ownerId: string;
  task: AiTask;
}

export interface AiJobCompletedPayload {
  jobId: string;
  ownerId: string;
  task: AiTask;
  model: string;
  result: AiJobResult;
  usage?: AiTokenUsage;
  /** Worker attempts that ran the job (1 unless an attempt failed and was retried). */
  attempts: number;
  /** From submission to completion. */
  durationMs: number;
}

export interface AiJobFailedPayload {
  jobId: string;
  ownerId: string;
  task: AiTask;
  error: { code: string; message: string; status?: number };
  attempts: number;
}

export interface AiJobCancelledPayload {
  jobId: string;
  ownerId: string;
  task: AiTask;
  attempts: number;
}
