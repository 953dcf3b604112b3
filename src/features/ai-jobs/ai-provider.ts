import type { AiTokenUsage } from './ai-jobs.events.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
  /** Ask for a JSON object reply (response_format json_object). */
  json?: boolean;
}

export interface CompletionCall {
  /** Aborts the call at once, including a retry the provider client is waiting to make. */
  signal: AbortSignal;
  /** Sent to the provider as Idempotency-Key; stable for one job. */
  idempotencyKey: string;
  /** Awaited before every HTTP request, retries included (the global rate limit); may reject to stop. */
  beforeRequest(signal: AbortSignal | undefined): Promise<void>;
}

export interface Completion {
  text: string;
  model: string;
  usage?: AiTokenUsage;
}

/**
 * - `aborted`: the caller's signal fired (cancellation or shutdown);
 * - `timeout`, `connection`, `rate-limited`, `server`: transient, worth another attempt;
 * - `not-configured`: this worker lacks AI_BASE_URL / AI_API_KEY (another attempt may land on one that has them);
 * - `rejected` (any other 4xx) and `invalid-output` (a reply that is not what was asked for): permanent.
 */
export type ProviderErrorKind =
  'aborted' | 'timeout' | 'connection' | 'rate-limited' | 'server' | 'rejected' | 'invalid-output' | 'not-configured';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind !== 'rejected' && this.kind !== 'invalid-output' && this.kind !== 'aborted';
  }
}

/** The port the job runner calls; the openai/ folder implements it with the official SDK. */
export abstract class AiProvider {
  abstract complete(request: CompletionRequest, call: CompletionCall): Promise<Completion>;
}
