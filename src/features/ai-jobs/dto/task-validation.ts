import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ProblemException, type FieldError } from '../../../platform/http/index.js';
import type { AiTask } from '../ai-jobs.events.js';
import type { ChatMessage } from '../ai-provider.js';
import { ChatInput, ChatOptions, ClassifyOptions, ExtractOptions, SummarizeOptions } from './task-options.dto.js';

const OPTIONS = {
  summarize: SummarizeOptions,
  classify: ClassifyOptions,
  extract: ExtractOptions,
  chat: ChatOptions,
} as const;

export interface TaskCaps {
  maxInputChars: number;
  maxOutputTokens: number;
}

export interface ValidTask {
  input: string | ChatMessage[];
  options: Record<string, unknown>;
}

function flatten(errors: ValidationError[], parent: string): FieldError[] {
  return errors.flatMap((e) => {
    const field = `${parent}.${e.property}`;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({
      field,
      message:
        rule === 'whitelistValidation'
          ? 'is not an accepted option for this task'
          : message.replace(new RegExp(`^${e.property} `), ''),
    }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

function check<T extends object>(cls: new () => T, value: object, parent: string): { value: T; errors: FieldError[] } {
  const instance = plainToInstance(cls, value);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  return { value: instance, errors: flatten(errors, parent) };
}

function checkInput(task: AiTask, input: unknown, caps: TaskCaps): FieldError[] {
  if (task !== 'chat') {
    if (typeof input !== 'string' || input.trim().length === 0)
      return [{ field: 'input', message: `must be a non-empty string for the ${task} task` }];
    if (input.length > caps.maxInputChars)
      return [{ field: 'input', message: `must be at most ${caps.maxInputChars} characters` }];
    return [];
  }
  if (!Array.isArray(input))
    return [{ field: 'input', message: 'must be an array of {role, content} messages for the chat task' }];
  const { value, errors } = check(ChatInput, { messages: input }, 'input');
  if (errors.length > 0) return errors.map((e) => ({ ...e, field: e.field.replace(/^input\.messages/, 'input') }));
  const total = value.messages.reduce((n, m) => n + m.content.length, 0);
  if (total > caps.maxInputChars)
    return [{ field: 'input', message: `the messages must hold at most ${caps.maxInputChars} characters in all` }];
  if (value.messages.at(-1)!.role !== 'user')
    return [{ field: `input.${value.messages.length - 1}.role`, message: "the last message must be the user's" }];
  return [];
}

/**
 * The per-task rules on top of the body's shape: what `input` must be, which `options` the task accepts,
 * and the configured caps. Answers 400 naming every bad field; returns only what is valid otherwise.
 */
export function validateTask(task: AiTask, input: unknown, options: unknown, caps: TaskCaps): ValidTask {
  const errors = checkInput(task, input, caps);
  const opts = check(OPTIONS[task] as new () => object, (options ?? {}) as object, 'options');
  errors.push(...opts.errors);
  const maxTokens = (opts.value as { maxTokens?: number }).maxTokens;
  if (opts.errors.length === 0 && maxTokens !== undefined && maxTokens > caps.maxOutputTokens) {
    errors.push({ field: 'options.maxTokens', message: `must be at most ${caps.maxOutputTokens}` });
  }
  if (errors.length > 0)
    throw ProblemException.validation(errors, `The ${task} request has invalid fields; see errors.`);
  const cleanOptions = Object.fromEntries(Object.entries(opts.value).filter(([, v]) => v !== undefined));
  const cleanInput =
    task === 'chat' ? (input as ChatMessage[]).map(({ role, content }) => ({ role, content })) : (input as string);
  return { input: cleanInput, options: cleanOptions };
}
