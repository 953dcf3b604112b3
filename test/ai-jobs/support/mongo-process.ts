import { spawn } from 'node:child_process';
import { projectRoot } from '../../support/child-app.js';
import { freePort } from '../../support/free-port.js';

export interface MongoProcess {
  uri: string;
  stop(): Promise<void>;
}

/**
 * MONGO_URL when set (a real MongoDB); otherwise the embedded server in a process of its own, so that a
 * CPU-bound suite spreads over two cores instead of running server and clients on one event loop.
 */
export async function startMongoProcess(timeoutMs = 20_000): Promise<MongoProcess> {
  if (process.env.MONGO_URL) return { uri: process.env.MONGO_URL, stop: async () => undefined };
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/platform/database/embedded/standalone.ts'], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, EMBEDDED_MONGO_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`embedded MongoDB did not start in ${timeoutMs} ms`)), timeoutMs);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /^mongodb:\/\/\S+/m.exec(out)?.[0];
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    proc.once('exit', (code) => reject(new Error(`embedded MongoDB exited with ${code}`)));
  });
  return {
    uri,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
