/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface LinkedSignal {
  signal: AbortSignal;
  /** Detaches from the sources; call it when the work is over. */
  dispose(): void;
}

/**
 * A signal that aborts when any source does. Not `AbortSignal.any`: on Node 20 a composite signal that
 * still has an abort listener is never collected, and the openai SDK leaves one on every signal it is
 * given, so each job would leak its composite (and what its listeners hold).
 */
export function linkSignals(...sources: AbortSignal[]): LinkedSignal {
  const ctl = new AbortController();
  const abort = (s: AbortSignal) => () => ctl.abort(s.reason);
  const listeners = sources.map((s) => [s, abort(s)] as const);
  const dispose = () => listeners.forEach(([s, fn]) => s.removeEventListener('abort', fn));
  for (const [s, fn] of listeners) {
    if (s.aborted) {
      ctl.abort(s.reason);
      break;
    }
    s.addEventListener('abort', fn, { once: true });
  }
  if (ctl.signal.aborted) dispose();
  return { signal: ctl.signal, dispose };
}
