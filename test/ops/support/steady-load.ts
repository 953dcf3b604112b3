export interface LoadReport {
  sent: number;
  ok: number;
  failures: Array<{ at: number; status?: number; error?: string }>;
  /** Successful responses per replica pid (the probe route answers with its pid). */
  byPid: Map<number, number>;
  maxLatencyMs: number;
}

/**
 * Steady keep-alive load: `concurrency` loops each sending GET `url` back to back, until stopped or
 * until `maxRequests` / `maxMs` (both bounds always apply, so a stuck test still ends).
 */
export function steadyLoad(url: string, opts: { concurrency: number; maxRequests: number; maxMs: number }) {
  const report: LoadReport = { sent: 0, ok: 0, failures: [], byPid: new Map(), maxLatencyMs: 0 };
  const deadline = Date.now() + opts.maxMs;
  let stopped = false;
  const loop = async () => {
    while (!stopped && report.sent < opts.maxRequests && Date.now() < deadline) {
      report.sent++;
      const started = Date.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = (await res.json()) as { pid?: number };
        if (res.status === 200 && body.pid) {
          report.ok++;
          report.byPid.set(body.pid, (report.byPid.get(body.pid) ?? 0) + 1);
        } else report.failures.push({ at: Date.now(), status: res.status });
      } catch (err) {
        const e = err as Error & { cause?: Error };
        report.failures.push({ at: Date.now(), error: `${e.message}${e.cause ? `: ${e.cause.message}` : ''}` });
      }
      report.maxLatencyMs = Math.max(report.maxLatencyMs, Date.now() - started);
    }
  };
  const loops = Promise.all(Array.from({ length: opts.concurrency }, loop));
  return {
    report,
    stop: async (): Promise<LoadReport> => {
      stopped = true;
      await loops;
      return report;
    },
  };
}
