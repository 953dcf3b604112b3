/** Polls `probe` until it returns a truthy value (returned) or the deadline passes (throws with the last value). */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  {
    timeoutMs = 15_000,
    intervalMs = 100,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)}${lastError ? `, error: ${String(lastError)}` : ''})`,
  );
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
