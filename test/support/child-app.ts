import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { isolate, sharedRedisUrl } from './isolation.js';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildApp {
  proc: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the built app (`node dist/main.js`, built by the global setup) as a separate process. */
export function runChild(env: Record<string, string | undefined>): {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
} {
  const proc = spawn(process.execPath, ['dist/main.js'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

/** Starts keel in a child process in the given role and waits until it listens (at any LOG_LEVEL). */
export async function spawnApp(
  suite: string,
  opts: { role?: 'api' | 'worker' | 'all'; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ChildApp> {
  const port = opts.env?.PORT ?? String(await freePort());
  const child = runChild({
    REDIS_URL: sharedRedisUrl,
    MONGO_URL: process.env.MONGO_URL,
    ...isolate(suite).env,
    APP_ROLE: opts.role ?? 'all',
    HOST: '127.0.0.1',
    ...opts.env,
    PORT: port,
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/[^\s"]+)/.exec(child.output())?.[1];
    if (!url && port !== '0' && (await answers(`http://127.0.0.1:${port}`))) url = `http://127.0.0.1:${port}`;
    if (url) break;
    if (child.proc.exitCode !== null) throw new Error(`app exited with ${child.proc.exitCode}:\n${child.output()}`);
    if (Date.now() > deadline) {
      child.proc.kill('SIGKILL');
      throw new Error(`app did not listen in time:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ...child,
    url: url.replace('[::1]', '127.0.0.1'),
    stop: async (signal = 'SIGTERM') => {
      if (child.proc.exitCode === null) child.proc.kill(signal);
      return child.exited;
    },
  };
}

/** The listening line is logged at info level; with a quieter LOG_LEVEL the liveness probe tells instead. */
async function answers(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(500) });
    return res.ok;
  } catch {
    return false;
  }
}
