// Child processes of a benchmark: keel roles, the embedded MongoDB, anchors. Their output goes to a log
// file (cheap, like production logging to stdout collected elsewhere), readiness is polled over HTTP,
// and their resident memory is sampled from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { freePort } from '../../test/support/free-port.js';

export interface Proc {
  name: string;
  proc: ChildProcess;
  pid: number;
  logFile: string;
  log(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

let logDir: string | undefined;
export function benchLogDir(): string {
  logDir ??= mkdtempSync(join(tmpdir(), 'keel-bench-'));
  return logDir;
}

/** Starts `node <args>` with only the given environment (plus PATH), output to a log file. */
export function startNode(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  opts: { cwd?: string; execArgv?: string[] } = {},
): Proc {
  const logFile = join(benchLogDir(), `${name}.log`);
  const fd = openSync(logFile, 'w');
  const proc = spawn(process.execPath, [...(opts.execArgv ?? []), ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    name,
    proc,
    pid: proc.pid!,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    exited,
    stop: async (graceMs = 15_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls until `url` answers 200; fails early when the process exits. */
export async function waitHttp(p: Proc, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited with ${p.proc.exitCode}:\n${p.log().slice(-3000)}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) {
      p.proc.kill('SIGKILL');
      throw new Error(`${p.name} did not answer ${url} within ${timeoutMs} ms:\n${p.log().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Polls the process's log until `pattern` appears; returns the match. */
export async function waitLog(p: Proc, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(p.log());
    if (m) return m;
    if (p.proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`${p.name} never logged ${pattern}:\n${p.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Peak resident set size of the process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024;
}

/** Samples VmRSS of some processes every `everyMs` until stopped; returns the maximum of each, in MB. */
export function sampleRss(procs: Proc[], everyMs = 200): { stop(): Record<string, number> } {
  const max: Record<string, number> = {};
  const take = () => {
    for (const p of procs) {
      const mb = statusKb(p.pid, 'VmRSS') / 1024;
      if (!Number.isNaN(mb)) max[p.name] = Math.max(max[p.name] ?? 0, mb);
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return max;
    },
  };
}

/** CPU time (user + system) the process has used so far, in ms (from /proc/<pid>/stat, 100 ticks/s). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state (field 3).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Load average and CPU count, for the report: the machine is shared. */
export function loadNote(): string {
  const [one, five] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load average ${one} (1 min), ${five} (5 min)`;
}
