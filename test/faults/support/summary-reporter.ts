import type { Reporter, TestModule } from 'vitest/node';
import { formatTable, readScenarios } from './summary.js';

/**
 * Prints the fault-injection summary table once every suite has finished: one row per scenario, as
 * each spec recorded it (recordScenario), with the pass/fail state of its file.
 */
export default class FaultsSummaryReporter implements Reporter {
  private started = Date.now();

  onInit(): void {
    this.started = Date.now();
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const stateOf = (file: string) => {
      const mod = testModules.find((m) => m.moduleId.endsWith(file));
      if (!mod) return 'not run';
      const state = mod.state();
      return state === 'passed' ? 'pass' : state === 'failed' ? 'FAIL' : state;
    };
    const rows = readScenarios().map((r) => ({
      ...r,
      result: stateOf(r.file),
    }));
    const missing = testModules
      .filter((m) => !rows.some((r) => m.moduleId.endsWith(r.file)))
      .map((m) => `${m.moduleId.replace(/^.*\/test\/faults\//, '')} (${m.state()}, no row recorded)`);
    const total = Math.round((Date.now() - this.started) / 1000);
    process.stdout.write(
      `\nFault-injection summary (${total} s):\n\n${rows.length ? formatTable(rows) : '(no scenario recorded a row)'}\n` +
        (missing.length ? `\nwithout a row: ${missing.join(', ')}\n` : '') +
        '\n',
    );
  }
}
