import { freePort } from '../support/free-port.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { parseExposition } from './support/prom-text.js';

describe('METRICS_PORT: /metrics on its own port only', () => {
  let app: RunningApp;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    app = await bootInProcess('ops_metrics_port', { APP_ROLE: 'api', METRICS_PORT: String(port) });
  });
  afterAll(() => app?.close());

  it('serves the metrics on METRICS_PORT and not on PORT', async () => {
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const e = parseExposition(await res.text());
    expect(
      e.sum('http_request_duration_seconds_count', { route: '/health/live', status_code: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      e.sum('http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
