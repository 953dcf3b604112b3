import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** What a benchmark reports: a one-line summary for RESULTS.md, plus the figures themselves. */
export interface BenchResult {
  summary: string;
  figures: Record<string, number | string>;
}

const file = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length}x ${cpu[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/** Appends one dated row to bench/RESULTS.md, with the machine and its load average (the machine may be shared). */
export function appendResult(name: string, result: BenchResult): void {
  if (!existsSync(file)) {
    writeFileSync(file, '# Benchmark results\n\n| date | bench | machine | result |\n|---|---|---|---|\n');
  }
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join('/');
  appendFileSync(file, `| ${date} | ${name} | ${machine()}, load ${load} | ${result.summary.replace(/\|/g, '/')} |\n`);
}

/** Prints rows as an aligned table. */
export function printTable(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: string | number) =>
    typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v;
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(cell(r[c] ?? '')).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i]!)).join('  ');
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(cell(r[c] ?? '')))));
}
