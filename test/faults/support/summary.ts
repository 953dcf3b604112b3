import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../support/child-app.js';

/** Where each scenario leaves its row of the summary table (read by summary-reporter.ts). */
export const TABLE_DIR = join(projectRoot, 'test-results', 'faults-table');

/** One line of the table `npm run test:faults` prints at the end. */
export interface ScenarioRow {
  /** Sort key and label, e.g. "1 autoscaling". */
  scenario: string;
  /** The spec file, so the reporter can tell whether its tests passed. */
  file: string;
  /** HTTP requests (logical operations; retries are counted in `notes`). */
  requests: number;
  /** Requests the API accepted (2xx). */
  accepted: number;
  /** Accepted requests whose effects are missing at the end. */
  lost: number;
  /** Effects beyond the one each accepted request (or tick) must have. */
  duplicated: number;
  /** Responses ≥ 500 the client saw (after its retries). */
  fiveXx: number;
  notes?: string;
  seconds?: number;
}

export function recordScenario(row: ScenarioRow): void {
  mkdirSync(TABLE_DIR, { recursive: true });
  const slug = row.scenario.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  writeFileSync(join(TABLE_DIR, `${slug}.json`), `${JSON.stringify(row, null, 2)}\n`);
}

export function readScenarios(): ScenarioRow[] {
  let names: string[];
  try {
    names = readdirSync(TABLE_DIR).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names
    .map((n) => JSON.parse(readFileSync(join(TABLE_DIR, n), 'utf8')) as ScenarioRow)
    .sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
}

/** A plain-text table (also valid Markdown). */
export function formatTable(rows: Array<ScenarioRow & { result: string }>): string {
  const head = ['scenario', 'result', 'requests', 'accepted', 'lost', 'duplicated effects', '5xx', 'time', 'notes'];
  const body = rows.map((r) => [
    r.scenario,
    r.result,
    r.requests.toLocaleString('en-US'),
    r.accepted.toLocaleString('en-US'),
    String(r.lost),
    String(r.duplicated),
    String(r.fiveXx),
    r.seconds === undefined ? '' : `${Math.round(r.seconds)} s`,
    r.notes ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= 2 && i <= 7 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w, i) => (i >= 2 && i <= 7 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}
