import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { notesFeature } from './fixtures/notes.module.js';

/** keel with the test notes resource, in this process. */
export function bootNotesApp(suite: string, env: Record<string, string> = {}): Promise<RunningApp> {
  return bootInProcess(suite, env, [notesFeature]);
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** fetch + parsed body (JSON when it parses, text otherwise). */
export async function call(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const { json, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    ...(json !== undefined
      ? {
          body: JSON.stringify(json),
          headers: { ...JSON_HEADERS, ...(rest.headers as object) },
        }
      : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body, text };
}
