import type { AiJobResult, AiTask } from './ai-jobs.events.js';
import { ProviderError, type ChatMessage, type CompletionRequest } from './ai-provider.js';

interface TaskSpec {
  request(input: unknown, options: Record<string, any>): Omit<CompletionRequest, 'maxTokens'>;
  parse(text: string, options: Record<string, any>): AiJobResult;
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
  } catch {
    throw new ProviderError('invalid-output', 'the model did not reply with JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ProviderError('invalid-output', 'the model did not reply with a JSON object');
  return value as Record<string, unknown>;
}

/** The prompt each task sends, and how its reply becomes the job's result. */
const TASKS: Record<AiTask, TaskSpec> = {
  summarize: {
    request: (input, o) => ({
      messages: [
        {
          role: 'system',
          content:
            `Summarize the user's text${o.maxWords ? ` in at most ${o.maxWords} words` : ''}` +
            `${o.format === 'bullets' ? ' as a bulleted list' : ' as one paragraph'}. Reply with the summary only.`,
        },
        { role: 'user', content: input as string },
      ],
    }),
    parse: (text) => ({ text }),
  },
  classify: {
    request: (input, o) => ({
      json: true,
      messages: [
        {
          role: 'system',
          content:
            `Classify the user's text with ${o.multiLabel ? 'one or more' : 'exactly one'} of these labels: ${JSON.stringify(o.labels)}. ` +
            'Reply with a JSON object {"labels": [...]} using only those labels.',
        },
        { role: 'user', content: input as string },
      ],
    }),
    parse: (text, o) => {
      const raw = parseJsonObject(text).labels;
      const allowed = new Set<string>(o.labels);
      const labels = Array.isArray(raw)
        ? [...new Set(raw.filter((l): l is string => typeof l === 'string' && allowed.has(l)))]
        : [];
      if (labels.length === 0) throw new ProviderError('invalid-output', 'the model chose none of the allowed labels');
      return { text, labels: o.multiLabel ? labels : labels.slice(0, 1) };
    },
  },
  extract: {
    request: (input, o) => ({
      json: true,
      messages: [
        {
          role: 'system',
          content:
            `Extract these fields from the user's text: ${JSON.stringify(o.fields)}. ` +
            'Reply with a JSON object with exactly those keys; use null for a field the text does not give.',
        },
        { role: 'user', content: input as string },
      ],
    }),
    parse: (text, o) => {
      const obj = parseJsonObject(text);
      return { text, data: Object.fromEntries((o.fields as string[]).map((f) => [f, obj[f] ?? null])) };
    },
  },
  chat: {
    request: (input, o) => ({
      temperature: o.temperature,
      messages: [
        ...(o.system ? [{ role: 'system' as const, content: o.system as string }] : []),
        ...(input as ChatMessage[]),
      ],
    }),
    parse: (text) => ({ text }),
  },
};

export function completionRequest(
  task: AiTask,
  input: unknown,
  options: Record<string, unknown>,
  maxOutputTokens: number,
): CompletionRequest {
  return {
    ...TASKS[task].request(input, options),
    maxTokens: (options.maxTokens as number | undefined) ?? maxOutputTokens,
  };
}

export function parseResult(task: AiTask, text: string, options: Record<string, unknown>): AiJobResult {
  return TASKS[task].parse(text, options);
}
