import { Injectable } from '@nestjs/common';
import { AiJobsSettings } from '../ai-jobs.settings.js';
import { AiProvider, type Completion, type CompletionCall, type CompletionRequest } from '../ai-provider.js';

/**
 * Chat completions through the official `openai` SDK (openai-completion.ts). The SDK is imported on the
 * first call: only the worker role makes calls, and the api role then never loads it.
 */
@Injectable()
export class OpenAiProvider extends AiProvider {
  constructor(private readonly settings: AiJobsSettings) {
    super();
  }

  async complete(request: CompletionRequest, call: CompletionCall): Promise<Completion> {
    const { openAiCompletion } = await import('./openai-completion.js');
    return openAiCompletion(this.settings.config, request, call);
  }
}
