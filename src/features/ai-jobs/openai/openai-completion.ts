import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { AppConfig } from '../../../config/index.js';
import { ProviderError, type Completion, type CompletionCall, type CompletionRequest } from '../ai-provider.js';

/**
 * The SDK client with one hook: `prepareRequest` runs before each HTTP request (the SDK's retries
 * included) and before the request's timeout starts, so waiting for the global rate limit never eats
 * into the per-call timeout.
 */
class HookedOpenAI extends OpenAI {
  constructor(
    options: ConstructorParameters<typeof OpenAI>[0],
    private readonly hook: (signal: AbortSignal | undefined) => Promise<void>,
  ) {
    super(options);
  }

  protected override async prepareRequest(
    request: RequestInit,
    ctx: { url: string; options: { signal?: AbortSignal | null } },
  ): Promise<void> {
    await super.prepareRequest(request, ctx as never);
    await this.hook(ctx.options.signal ?? undefined);
  }
}

/**
 * One chat completion through the official `openai` SDK against AI_BASE_URL. The SDK times out each request
 * (AI_TIMEOUT_MS) and retries timeouts, connection errors, 408/409/429 and 5xx up to AI_MAX_RETRIES
 * times, waiting what `retry-after-ms` / `Retry-After` say (its own backoff otherwise). The bus cannot
 * delay one retry by a per-error amount, so Retry-After is honoured here, within the job's attempt.
 */
export async function openAiCompletion(
  c: AppConfig,
  request: CompletionRequest,
  call: CompletionCall,
): Promise<Completion> {
  const client = new HookedOpenAI(
    { baseURL: c.AI_BASE_URL, apiKey: c.AI_API_KEY, timeout: c.AI_TIMEOUT_MS, maxRetries: c.AI_MAX_RETRIES },
    call.beforeRequest,
  );
  const pending = client.chat.completions.create(
    {
      model: c.AI_MODEL,
      messages: request.messages,
      max_tokens: request.maxTokens,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.json ? { response_format: { type: 'json_object' as const } } : {}),
    },
    { signal: call.signal, headers: { 'Idempotency-Key': call.idempotencyKey } },
  );
  // The SDK sleeps between retries without watching the signal: stop waiting for it as soon as the
  // signal fires (it then gives up before its next request).
  pending.catch(() => undefined);
  const stop = abortion(call.signal);
  try {
    const res = await Promise.race([pending, stop.promise]);
    const text = res.choices[0]?.message?.content;
    if (typeof text !== 'string') throw new ProviderError('invalid-output', 'the provider returned no message content');
    const u = res.usage;
    return {
      text,
      model: res.model || c.AI_MODEL,
      usage: u
        ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens }
        : undefined,
    };
  } catch (err) {
    throw toProviderError(err, call.signal);
  } finally {
    stop.dispose();
  }
}

/** Rejects once `signal` aborts; `dispose` detaches it. */
function abortion(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let fire = () => undefined as void;
  const promise = new Promise<never>((_, reject) => {
    fire = () => reject(new APIUserAbortError());
  });
  promise.catch(() => undefined);
  if (signal.aborted) fire();
  else signal.addEventListener('abort', fire, { once: true });
  return { promise, dispose: () => signal.removeEventListener('abort', fire) };
}

function toProviderError(err: unknown, signal: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal.aborted || err instanceof APIUserAbortError) return new ProviderError('aborted', 'the call was aborted');
  if (err instanceof APIConnectionTimeoutError)
    return new ProviderError('timeout', 'the provider did not answer in time (AI_TIMEOUT_MS)');
  if (err instanceof APIError && err.status === undefined)
    return new ProviderError('connection', `cannot reach the provider: ${err.message}`);
  if (err instanceof APIError) {
    const status = err.status!;
    const kind =
      status === 429 ? 'rate-limited' : status >= 500 || status === 408 || status === 409 ? 'server' : 'rejected';
    return new ProviderError(kind, `the provider answered ${err.message}`, status);
  }
  return new ProviderError('connection', err instanceof Error ? err.message : String(err));
}
