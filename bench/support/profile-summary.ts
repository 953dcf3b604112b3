// Summarises V8 .cpuprofile files (node --cpu-prof): self time by function and by package/file.
//   node --import tsx bench/support/profile-summary.ts <file.cpuprofile>... [--top N]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A time window on the monotonic clock V8's profiler uses (process.hrtime), in microseconds. */
export type Window = [number, number];

/** Now on the profiler's clock, for windows. */
export const profileClock = (): number => Number(process.hrtime.bigint() / 1000n);

/** Where a script URL belongs: an npm package, a keel folder, or node internals. */
function owner(url: string): string {
  if (!url) return '(native/gc/idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(
    url.replace(/.*node_modules\/\.cache\/[^/]+\/[^/]+\//, 'keel/'),
  );
  if (pkg && !url.includes('/.cache/')) return pkg[1]!;
  const keel = /(?:\/(?:src|dist|bench)\/)(.*)$/.exec(url);
  if (keel) return `keel:${keel[1]!.split('/').slice(0, 3).join('/')}`;
  if (url.startsWith('node:')) return url;
  return basename(url);
}

export function summarise(file: string, top = 15, windows?: Window[]): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i] ?? 0;
    if (windows && !windows.some(([a, b]) => t >= a && t <= b)) return;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const own = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const where = owner(n.callFrame.url);
    const key = `${name} ${where}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    own.set(where, (own.get(where) ?? 0) + us);
  }
  const busy = total - idle;
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const key = `${n.callFrame.functionName || '(anonymous)'} ${owner(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1)}%`;
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${pct(us).padStart(6)}  ${k}`)
      .join('\n');
  return [
    `${basename(file)}: ${(busy / 1e6).toFixed(1)} s busy of ${(total / 1e6).toFixed(1)} s profiled`,
    ' self time by package/folder:',
    list(own),
    ' self time by function:',
    list(fn),
    ' inclusive time by function:',
    list(incl),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const t = args.indexOf('--top');
  const top = t >= 0 ? Number(args[t + 1]) : 15;
  const w = args.indexOf('--windows');
  const windows = w >= 0 ? (JSON.parse(readFileSync(args[w + 1]!, 'utf8')) as Record<string, Window[]>) : undefined;
  const l = args.indexOf('--label');
  for (const f of args.filter((a) => a.endsWith('.cpuprofile'))) {
    const only = windows ? (l >= 0 ? windows[args[l + 1]!] : Object.values(windows).flat()) : undefined;
    console.log(`${summarise(f, top, only)}\n`);
  }
}
