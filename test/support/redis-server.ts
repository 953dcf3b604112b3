import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

/**
 * A private redis-server on a free port, for tests that stop, kill or reconfigure Redis.
 * Never touches the shared Redis on 6379.
 */
export class PrivateRedis {
  private proc?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  static async start(args: string[] = []): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort(), args);
    await r.resume();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts after stop/kill) the server on the same port, empty. */
  async resume(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.args],
      { stdio: 'ignore' },
    );
    await this.waitUntil(true);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  kill(): void {
    this.proc?.kill('SIGKILL');
    this.proc = undefined;
  }

  private async waitUntil(up: boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      const ok = await probe
        .connect()
        .then(() => probe.ping())
        .then(() => true)
        .catch(() => false);
      probe.disconnect();
      if (ok === up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on ${this.port} did not come ${up ? 'up' : 'down'} within ${timeoutMs} ms`);
  }
}
