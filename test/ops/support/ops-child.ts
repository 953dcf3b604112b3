import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../support/child-app.js';

export interface OpsChild {
  proc: ChildProcess;
  url: string;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** Signals the process (SIGTERM by default) and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the compiled ops entrypoint (see build-ops-app.ts) and resolves once it listens. */
export async function startOpsChild(entry: string, env: Record<string, string>, timeoutMs = 30_000): Promise<OpsChild> {
  const proc = spawn(process.execPath, [entry], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-400_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/[^\s"]+)/.exec(out)?.[1];
    if (url) break;
    if (proc.exitCode !== null) throw new Error(`ops child exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`ops child did not listen in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    url,
    pid: proc.pid!,
    output: () => out,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
