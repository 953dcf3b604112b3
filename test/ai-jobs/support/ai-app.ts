import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import type { AppRole } from '../../../src/config/index.js';
import { AiJobsModule } from '../../../src/features/ai-jobs/ai-jobs.module.js';
import { bearer } from '../../support/auth/dev-tokens.js';
import { bootInProcess, type RunningApp } from '../../support/in-process-app.js';
import type { FakeOpenAI } from '../../support/openai/fake-openai.js';
import { waitFor } from '../../events/support/wait.js';
import { AiOutcomeRecorderModule } from './event-recorder.js';

/** Settings that keep suites quick: short provider timeout, fast bus retries, no HTTP rate limit. */
export function testEnv(fake: FakeOpenAI | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(fake ? { AI_BASE_URL: fake.url, AI_API_KEY: fake.apiKey } : {}),
    AI_TIMEOUT_MS: '1000',
    AI_MAX_RETRIES: '1',
    AI_USER_CONCURRENCY: '4',
    AI_RATE_LIMIT_PER_MINUTE: '600000',
    AI_MAX_INPUT_CHARS: '2000',
    AI_MAX_OUTPUT_TOKENS: '512',
    EVENTS_ATTEMPTS: '3',
    EVENTS_BACKOFF_MS: '100',
    EVENTS_SWEEP_INTERVAL_MS: '200',
    EVENTS_SWEEP_GRACE_MS: '1000',
    EVENTS_DRAIN_TIMEOUT_MS: '3000',
    EVENTS_CONCURRENCY: '16',
    RATE_LIMIT_MAX: '0',
    ...extra,
  };
}

/** keel with ai-jobs and (unless `recorder` is false) a recorder of its outcome events, in this process. */
export async function bootAiApp(
  suite: string,
  env: Record<string, string>,
  recorder = true,
): Promise<RunningApp & { db: Connection }> {
  const features = [
    (role: AppRole) => AiJobsModule.forRole(role),
    ...(recorder ? [() => AiOutcomeRecorderModule.forRole()] : []),
  ];
  const app = await bootInProcess(suite, env, features);
  return { ...app, db: app.app.get<Connection>(getConnectionToken()) };
}

export interface Api {
  post(
    user: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  get(user: string, path?: string): Promise<{ status: number; body: any }>;
  del(user: string, id: string): Promise<{ status: number; body: any }>;
  waitFinal(user: string, id: string, timeoutMs?: number): Promise<any>;
}

export function api(baseUrl: string): Api {
  const root = `${baseUrl}/v1/ai/jobs`;
  const call = async (
    user: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(`${root}${path}`, {
      method,
      headers: {
        ...(await bearer(user)),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const get = (user: string, path = '') => call(user, 'GET', path);
  return {
    post: (user, body, headers) => call(user, 'POST', '', body, headers),
    get,
    del: (user, id) => call(user, 'DELETE', `/${id}`),
    waitFinal: (user, id, timeoutMs = 20_000) =>
      waitFor(
        async () => {
          const r = await get(user, `/${id}`);
          return ['completed', 'failed', 'cancelled'].includes(r.body?.status) ? r.body : undefined;
        },
        { timeoutMs, intervalMs: 50, what: `ai job ${id} to end` },
      ),
  };
}
