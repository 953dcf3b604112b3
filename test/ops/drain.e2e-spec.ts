import { request } from 'node:http';
import { drain } from '../../src/platform/lifecycle/index.js';
import { bootInProcess, type RunningApp } from '../support/in-process-app.js';
import { OpsProbeFeature } from './fixtures/ops-probe.feature.js';

/** GET over a fresh keep-alive connection, returning the status and the Connection header. */
function get(url: string): Promise<{ status: number; connection?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: 'keep-alive' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('drain (in process): the sequence SIGTERM runs', () => {
  let app: RunningApp;
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  beforeAll(async () => {
    app = await bootInProcess('ops_drain', { APP_ROLE: 'api' }, [(role) => OpsProbeFeature.forRole(role)]);
  });
  afterAll(async () => {
    await Promise.all(readers.map((r) => r.cancel().catch(() => undefined)));
    await app.close().catch(() => undefined); // already closed by the drain when the test passed
  });

  it('turns readiness 503 at once, keeps serving through the delay, finishes in-flight work, ends SSE streams cleanly (even one that ignores the drain), then closes', async () => {
    expect((await get(`${app.url}/health/ready`)).status).toBe(200);

    /** Opens an SSE stream; `ended` resolves with the number of events once the server ends it. */
    const stream = async (path: string) => {
      const reader = (await fetch(`${app.url}${path}`)).body!.getReader();
      readers.push(reader);
      const ended = (async () => {
        let text = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return text.match(/^data:/gm)?.length ?? 0;
          text += new TextDecoder().decode(value);
        }
      })();
      return { ended };
    };
    const { ended: sseDone } = await stream('/ops-test/stream');
    const { ended: stubbornDone } = await stream('/ops-test/stubborn-stream');
    await new Promise((r) => setTimeout(r, 300)); // a few ticks before the drain

    const started = Date.now();
    const drained = drain(app.app, { delayMs: 800, boundMs: 10_000 });

    const ready = await get(`${app.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body).error.drain).toMatchObject({ status: 'down', message: 'draining' });
    // Still served during the delay, but the connection is not kept for the next request.
    const live = await get(`${app.url}/health/live`);
    expect(live.status).toBe(200);
    expect(live.connection).toBe('close');

    // In flight when the server stops accepting (the delay ends at ~800 ms): it must still complete.
    const slow = get(`${app.url}/ops-test/slow?ms=1500`);
    expect(await drained).toBe(true);
    const elapsed = Date.now() - started;
    expect((await slow).status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(800);
    expect(elapsed).toBeLessThan(10_000);
    await expect(sseDone).resolves.toBeGreaterThan(0); // the stream ended (done), it was not torn down with an error
    await expect(stubbornDone).resolves.toBeGreaterThan(0); // ended by the drain's backstop, cleanly too

    await expect(get(`${app.url}/health/live`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
