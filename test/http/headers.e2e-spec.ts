import type { RunningApp } from '../support/in-process-app.js';
import { bootNotesApp, call } from './http-app.js';

describe('security headers and CORS', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await bootNotesApp('http_headers', {
      CORS_ORIGINS: 'https://app.example, https://admin.example',
    });
  });
  afterAll(async () => app?.close());

  it("sends helmet's headers on answers and on errors", async () => {
    for (const path of ['/v1/ping', '/v1/notes', '/no/such/route']) {
      const res = await call(`${app.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('strict-transport-security'), path).toMatch(/max-age=/);
      expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(res.headers.get('x-request-id'), path).toBeTruthy();
    }
  });

  it('allows the configured origins only', async () => {
    const preflight = await fetch(`${app.url}/v1/notes`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');

    const allowed = await call(`${app.url}/v1/ping`, {
      headers: { origin: 'https://admin.example' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://admin.example');
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/x-request-id/i);

    const denied = await call(`${app.url}/v1/ping`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });
});
