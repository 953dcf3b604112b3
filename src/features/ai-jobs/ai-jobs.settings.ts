import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/index.js';

/** How long a run holds its job without renewing, and how often it renews (and re-reads the cancel flag). */
export const RUN_LEASE_MS = 30_000;
export const RUN_HEARTBEAT_MS = 2_000;

/** The ai-jobs view of the configuration (README "AI jobs"). */
@Injectable()
export class AiJobsSettings {
  constructor(readonly config: AppConfig) {}

  /** The variables still to set before the provider can be called; empty when configured. */
  missing(): string[] {
    const out: string[] = [];
    if (!this.config.AI_BASE_URL) out.push('AI_BASE_URL');
    if (!this.config.AI_API_KEY) out.push('AI_API_KEY');
    return out;
  }

  get redisPrefix(): string {
    return `${this.config.REDIS_PREFIX}:ai`;
  }
}
