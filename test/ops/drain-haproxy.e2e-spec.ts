import { existsSync } from 'node:fs';
import { EmbeddedMongoServer } from '../../src/platform/database/embedded/index.js';
import { freePort } from '../support/free-port.js';
import { isolate, sharedRedisUrl } from '../support/isolation.js';
import { buildOpsApp } from './support/build-ops-app.js';
import { CHECK, HAPROXY, HaProxy } from './support/haproxy.js';
import { startOpsChild, type OpsChild } from './support/ops-child.js';
import { steadyLoad } from './support/steady-load.js';

const DRAIN_DELAY_MS = 3000; // above HAProxy's detection time: CHECK.inter × CHECK.fall = 1000 ms (+ one check)
const SHUTDOWN_TIMEOUT_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('scaling drops nothing: HAProxy in front of two API replicas, one drained and one started under load', () => {
  it('has HAProxy from Debian (.ci/run installs it)', () => {
    // Fails loudly rather than skipping: without it the proof below would not run.
    expect(existsSync(HAPROXY), `${HAPROXY} is missing: apt-get install -y haproxy`).toBe(true);
  });

  const build = buildOpsApp();
  const children: OpsChild[] = [];
  let lb: HaProxy | undefined;
  let mongo: EmbeddedMongoServer | undefined;
  afterAll(async () => {
    await lb?.stop();
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
    await mongo?.stop();
    build.cleanup();
  });

  it('answers every request while replica A drains and replica C joins; A finishes its in-flight work and exits 0 within its bound', async () => {
    let mongoUrl = process.env.MONGO_URL;
    if (!mongoUrl) {
      mongo = await EmbeddedMongoServer.start();
      mongoUrl = mongo.uri();
    }
    const [pa, pb, pc, plb] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env = {
      ...isolate('ops_haproxy').env,
      REDIS_URL: sharedRedisUrl,
      MONGO_URL: mongoUrl,
      APP_ROLE: 'api',
      KEEL_OPS_FIXTURES: 'ops',
      RATE_LIMIT_MAX: '0', // the load comes from one IP; rate limits have their own suite
      DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    };
    const [a, b] = await Promise.all([
      startOpsChild(build.entry, { ...env, PORT: String(pa) }),
      startOpsChild(build.entry, { ...env, PORT: String(pb) }),
    ]);
    children.push(a, b);
    lb = await HaProxy.start(plb, [
      { name: 'a', port: pa },
      { name: 'b', port: pb },
      { name: 'c', port: pc },
    ]);

    const load = steadyLoad(`${lb.url}/ops-test/slow?ms=20`, { concurrency: 8, maxRequests: 30_000, maxMs: 60_000 });
    await until(
      () => (load.report.byPid.get(a.pid) ?? 0) > 20 && (load.report.byPid.get(b.pid) ?? 0) > 20,
      15_000,
      'both replicas to serve',
    );

    // Work that is in flight on A when it stops accepting connections: an SSE stream and a slow request.
    const sse = await fetch(`${a.url}/ops-test/stream`);
    const reader = sse.body!.getReader();
    const sseEnded = (async () => {
      let text = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return text.match(/^data:/gm)?.length ?? 0;
        text += new TextDecoder().decode(value);
      }
    })();

    const sigtermAt = Date.now();
    const aExit = a.exited.then((code) => ({ code, at: Date.now() }));
    a.proc.kill('SIGTERM');
    const starting = startOpsChild(build.entry, { ...env, PORT: String(pc) });
    // Sent 1 s before A stops accepting and answered 1.5 s after: in flight across the stop.
    await sleep(Math.max(0, sigtermAt + DRAIN_DELAY_MS - 1000 - Date.now()));
    const inflight = fetch(`${a.url}/ops-test/slow?ms=2500`).then(
      async (r) => ({ status: r.status, body: (await r.json()) as { pid: number } }),
      (err: Error) => ({ status: 0, body: { error: String(err.cause ?? err) } }),
    );
    const c = await starting;
    children.push(c);

    const { code: exitCode, at: exitAt } = await aExit;
    const drainMs = exitAt - sigtermAt;
    await until(
      () => (load.report.byPid.get(c.pid) ?? 0) > 50,
      20_000,
      `the new replica to serve (${JSON.stringify({ ...load.report, byPid: [...load.report.byPid], failures: load.report.failures.slice(0, 3) })})\n${lb.output()}`,
    );
    await sleep(1000);
    const report = await load.stop();

    const drained = /drained in (\d+) ms/.exec(a.output())?.[1];
    const summary = {
      sent: report.sent,
      ok: report.ok,
      failed: report.failures.length,
      byReplica: { a: report.byPid.get(a.pid) ?? 0, b: report.byPid.get(b.pid) ?? 0, c: report.byPid.get(c.pid) ?? 0 },
      maxLatencyMs: report.maxLatencyMs,
      drainedExitCode: exitCode,
      drainMsFromSigterm: drainMs,
      drainMsLogged: drained ? Number(drained) : undefined,
      boundMs: SHUTDOWN_TIMEOUT_MS,
    };
    console.log(`drain under load: ${JSON.stringify(summary)}`);

    expect(report.failures, JSON.stringify(report.failures.slice(0, 5))).toEqual([]);
    expect(report.sent).toBe(report.ok);
    expect(exitCode, a.output().slice(-3000)).toBe(0);
    expect(drainMs).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(drainMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(summary.byReplica.c).toBeGreaterThan(50);
    expect(await inflight).toEqual({ status: 200, body: { pid: a.pid, ms: 2500 } });
    expect(await sseEnded).toBeGreaterThan(0);
    expect(CHECK.inter * (CHECK.fall + 1)).toBeLessThan(DRAIN_DELAY_MS);
  }, 90_000);
});
