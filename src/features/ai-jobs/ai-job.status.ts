export const AI_JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type AiJobStatus = (typeof AI_JOB_STATUSES)[number];

const FINAL: ReadonlySet<AiJobStatus> = new Set(['completed', 'failed', 'cancelled']);

/** A final job never changes again. */
export function isFinal(status: AiJobStatus): boolean {
  return FINAL.has(status);
}

export interface AiJobError {
  /** Stable, for clients: timeout, connection, rate-limited, server, rejected, invalid-output, not-configured, internal. */
  code: string;
  message: string;
  /** The provider's HTTP status, when it answered. */
  status?: number;
  /** Whether another attempt may succeed (a queued job with an error is waiting for its retry). */
  retryable: boolean;
}
