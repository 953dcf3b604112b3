import { PinoLogger } from 'nestjs-pino';
import { symbols } from 'pino';
import type { RunningApp } from '../support/in-process-app.js';
import { devToken } from '../support/auth/dev-tokens.js';
import { bootNotesApp, call } from './http-app.js';

/** Diverts the process's pino output (nestjs-pino keeps one root logger) into an array. */
function captureLogs(): {
  lines: () => Array<Record<string, any>>;
  raw: () => string;
  restore: () => void;
} {
  const root = PinoLogger.root as unknown as Record<symbol, unknown>;
  const original = root[symbols.streamSym];
  const chunks: string[] = [];
  root[symbols.streamSym] = { write: (s: string) => chunks.push(s) };
  return {
    raw: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    restore: () => {
      root[symbols.streamSym] = original;
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 100));

describe('request logs', () => {
  let app: RunningApp;
  let token: string;
  let logs: ReturnType<typeof captureLogs>;
  beforeAll(async () => {
    app = await bootNotesApp('http_logs', { LOG_LEVEL: 'info' });
    token = await devToken('alice');
    logs = captureLogs();
  });
  afterAll(async () => {
    logs?.restore();
    await app?.close();
  });

  it('echoes x-request-id and puts it on every line of the request, POST bodies included', async () => {
    const res = await call(`${app.url}/v1/notes?access_token=leaky&x=1`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'x-request-id': 'trace-abc-1',
      },
      json: { title: 'logged' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('trace-abc-1');
    await settle();
    const mine = logs.lines().filter((l) => l.correlationId === 'trace-abc-1');
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['creating note', 'request completed']));
    const handlerLine = mine.find((l) => l.msg === 'creating note')!;
    expect(handlerLine.context).toBe('NotesService');
    expect(handlerLine.token).toBe('[redacted]');
    const completed = mine.find((l) => l.msg === 'request completed')!;
    expect(completed).toMatchObject({
      level: 'info',
      res: { statusCode: 201 },
      req: { method: 'POST' },
    });
    expect(completed.req.url).toBe('/v1/notes?access_token=[redacted]&x=1');
    expect(logs.raw()).not.toContain(token);
    expect(logs.raw()).not.toContain('leaky');
  });

  it('opens the request context (correlation id, then the actor once authenticated) for GET and POST', async () => {
    for (const init of [{}, { method: 'POST', json: { title: 'context' } }]) {
      const res = await call(`${app.url}/v1/ping/context`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'x-request-id': 'ctx-1' },
      });
      expect(res.status).toBeLessThan(300);
      expect(res.body).toEqual({ correlationId: 'ctx-1', actorId: 'alice' });
    }
  });

  it('generates a correlation id when none (or a malformed one) is sent', async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { 'x-request-id': 'has spaces and {braces}' },
      { 'x-request-id': 'x'.repeat(300) },
    ];
    for (const headers of variants) {
      const res = await call(`${app.url}/v1/ping`, { headers });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('logs an unexpected error with its correlation id and stack, and keeps both out of the answer', async () => {
    const res = await call(`${app.url}/v1/notes`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'x-request-id': 'trace-boom-2',
      },
      json: { title: 'explode' },
    });
    expect(res.status).toBe(500);
    await settle();
    const error = logs.lines().find((l) => l.correlationId === 'trace-boom-2' && l.level === 'error' && l.err);
    expect(error).toBeDefined();
    expect(error!.err.message).toContain('ECONNREFUSED');
    expect(error!.err.stack).toContain('NotesService');
    expect(res.text).not.toContain('ECONNREFUSED');
  });

  it('writes JSON lines only', async () => {
    await call(`${app.url}/v1/ping`);
    await settle();
    for (const line of logs.raw().split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  });
});
