import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../child-app.js';
import { freePort } from '../free-port.js';

const CONFIG = fileURLToPath(new URL('./hardhat.config.cjs', import.meta.url));

/**
 * A real local EVM node: Hardhat 2's JSON-RPC node in a child process on a free port. Its accounts are
 * unlocked (eth_sendTransaction works without keys); evm_snapshot / evm_revert / hardhat_mine drive the chain.
 */
export class HardhatNode {
  private constructor(
    private readonly proc: ChildProcess,
    readonly url: string,
    private readonly output: () => string,
  ) {}

  static async start(timeoutMs = 60_000): Promise<HardhatNode> {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [
        'node_modules/hardhat/internal/cli/cli.js',
        '--config',
        CONFIG,
        'node',
        '--hostname',
        '127.0.0.1',
        '--port',
        String(port),
      ],
      {
        cwd: projectRoot,
        env: { PATH: process.env.PATH, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', DO_NOT_TRACK: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    const node = new HardhatNode(proc, `http://127.0.0.1:${port}`, () => out);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`hardhat node exited with ${proc.exitCode}:\n${out}`);
      try {
        await node.rpc('eth_blockNumber');
        return node;
      } catch {
        if (Date.now() > deadline) {
          proc.kill('SIGKILL');
          throw new Error(`hardhat node did not answer within ${timeoutMs} ms:\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async rpc<T = any>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  }

  async blockNumber(): Promise<number> {
    return Number(await this.rpc<string>('eth_blockNumber'));
  }

  /** Mines `blocks` empty blocks at once. */
  async mine(blocks = 1): Promise<void> {
    await this.rpc('hardhat_mine', [`0x${blocks.toString(16)}`]);
  }

  snapshot(): Promise<string> {
    return this.rpc<string>('evm_snapshot');
  }

  async revert(id: string): Promise<void> {
    if (!(await this.rpc<boolean>('evm_revert', [id]))) throw new Error(`evm_revert(${id}) refused`);
  }

  logs(): string {
    return this.output();
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
