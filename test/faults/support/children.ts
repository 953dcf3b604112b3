import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { projectRoot } from '../../support/child-app.js';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  url: string;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  alive(): boolean;
  /** Sends the signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The transpiled sources the global setup prepared (src/ plus test/faults/fixtures). */
export function faultsBuild(): string {
  return inject('faultsBuild');
}

/** A keel boot takes about 5 s of CPU; a child still short of this is starved, not stuck. */
const STARVED_BOOT_CPU_S = 20;
/** How much longer than its timeout a starved child may take (bounded, so a real hang still fails). */
const STARVED_BOOT_FACTOR = 4;

/**
 * Spawns `node <script>` and waits until its output matches `ready`: within `timeoutMs`, or, on a
 * machine too loaded to give it the CPU it needs, for as long as it keeps booting (see above).
 */
export async function spawnNode(
  name: string,
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
  execArgv: string[] = [],
): Promise<Child & { match: RegExpExecArray }> {
  const proc = spawn(process.execPath, [...execArgv, script], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-300_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  let deadline = Date.now() + timeoutMs;
  const hardDeadline = Date.now() + STARVED_BOOT_FACTOR * timeoutMs;
  let lastCpu = -1;
  let match: RegExpExecArray | null = null;
  while (!(match = ready.exec(out))) {
    if (!alive())
      throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${out.slice(-4000)}`);
    if (Date.now() > deadline) {
      // How much CPU it got tells a starved boot (a loaded machine) from a stuck one: a child still
      // booting on a fair share of CPU (it keeps using some, and less than a boot ever needs) gets more
      // time, up to a hard bound; one that idles or burns CPU past that is stuck.
      const cpu = cpuSeconds(proc.pid!);
      if (cpu !== undefined && cpu < STARVED_BOOT_CPU_S && cpu > lastCpu && Date.now() < hardDeadline) {
        lastCpu = cpu;
        deadline = Date.now() + 10_000;
        continue;
      }
      proc.kill('SIGKILL');
      throw new Error(
        `${name} was not ready within ${timeoutMs} ms (it used ${cpu ?? '?'} s of CPU; load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}):\n${out.slice(-4000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name,
    proc,
    pid: proc.pid!,
    url: match[1] ?? '',
    match,
    output: () => out,
    exited,
    alive,
    stop: async (signal = 'SIGTERM') => {
      if (alive()) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * keel (every real feature, plus the fixtures named in KEEL_FAULTS_FIXTURES) in a child process.
 * FAULTS_KEEL_CPU_PROF=<dir>: a V8 CPU profile of each, written when it exits normally (not on SIGKILL).
 */
export function startKeel(name: string, env: Record<string, string>, timeoutMs = 90_000): Promise<Child> {
  return spawnNode(
    name,
    join(faultsBuild(), 'test/faults/fixtures/faults-main.js'),
    { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    /listening on (http:\/\/\S+)/,
    timeoutMs,
    process.env.FAULTS_KEEL_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.FAULTS_KEEL_CPU_PROF] : [],
  );
}

/** The embedded MongoDB-compatible server alone in its own process (its own event loop and core). */
export async function startMongoProcess(port = 0): Promise<Child & { uri: string }> {
  const child = await spawnNode(
    'mongo',
    join(faultsBuild(), 'src/platform/database/embedded/standalone.js'),
    { EMBEDDED_MONGO_PORT: String(port) },
    /^(mongodb:\/\/\S+)$/m,
    30_000,
    // FAULTS_MONGO_CPU_PROF=<dir>: a V8 CPU profile of the database process, written when it is stopped.
    process.env.FAULTS_MONGO_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.FAULTS_MONGO_CPU_PROF] : [],
  );
  return { ...child, uri: child.url };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy (returned), or throws after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T> | T,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await sleep(intervalMs);
  }
}

/** CPU seconds (user + system) a live process has used so far; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Samples the CPU time of processes every second, keeping the last value seen for each (also after they die). */
export function cpuMeter() {
  const last = new Map<string, number>();
  const watched = new Map<string, number>();
  const sample = () => {
    for (const [name, pid] of watched) {
      const s = cpuSeconds(pid);
      if (s !== undefined) last.set(name, s);
    }
  };
  const timer = setInterval(sample, 1000);
  timer.unref();
  return {
    watch(name: string, pid: number) {
      watched.set(name, pid);
    },
    stop(): Record<string, number> {
      sample();
      clearInterval(timer);
      return Object.fromEntries([...last].map(([k, v]) => [k, Math.round(v * 10) / 10]));
    },
  };
}

/**
 * Waits until `count()` reaches `target`, for as long as it keeps rising: it fails only when the count has
 * not moved for `stallMs` (work stuck or lost), not because a loaded machine is slow. Resolves with the
 * time the target was reached, or rejects with the last count.
 */
export async function untilDone(
  count: () => Promise<number>,
  target: number,
  what: string,
  stallMs = 60_000,
  intervalMs = 1000,
): Promise<number> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const n = await count().catch(() => last);
    if (n >= target) return Date.now();
    if (n > last) {
      last = n;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`${what}: stuck at ${last} of ${target} for ${Math.round(stallMs / 1000)} s`);
    }
    await sleep(intervalMs);
  }
}
