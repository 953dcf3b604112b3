/** Driver and Mongoose errors that mean "the database cannot be reached right now" (answer 503, not 500). */
const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  'TransactionDeadlineError',
]);

const UNAVAILABLE_MESSAGE =
  /buffering timed out|client must be connected|connection pool .* (was )?cleared|topology (is )?closed/i;

/**
 * Socket errors (Node system errors, with `syscall`). The driver sometimes lets one through unwrapped
 * when a connection is reset mid-write, or wraps it in a MongoBulkWriteError's `errorResponse`.
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTCONN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

interface MaybeMongoError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errorResponse?: unknown;
  syscall?: unknown;
  errorLabels?: unknown;
  errorLabelSet?: unknown;
}

function chain(err: unknown): MaybeMongoError[] {
  const out: MaybeMongoError[] = [];
  let cur = err;
  while (cur && typeof cur === 'object' && out.length < 5) {
    const e = cur as MaybeMongoError;
    out.push(e);
    // A bulk write error carries the error that ended the batch in `errorResponse`.
    cur =
      e.cause ??
      (typeof e.name === 'string' && e.name.startsWith('Mongo') && e.errorResponse instanceof Error
        ? e.errorResponse
        : undefined);
  }
  return out;
}

function hasLabel(e: MaybeMongoError, label: string): boolean {
  if (e.errorLabelSet instanceof Set) return e.errorLabelSet.has(label);
  return Array.isArray(e.errorLabels) && e.errorLabels.includes(label);
}

export function isMongoUnavailable(err: unknown): boolean {
  return chain(err).some((e) => {
    const name = typeof e.name === 'string' ? e.name : '';
    if (UNAVAILABLE_NAMES.has(name)) return true;
    if (typeof e.syscall === 'string' && typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (name.startsWith('Mongo') && typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
    return name.startsWith('Mongo') && (hasLabel(e, 'TransientTransactionError') || hasLabel(e, 'ResetPool'));
  });
}

/** E11000: a unique index refused the write. Returns the offending field names when the driver gives them. */
export function duplicateKeyFields(err: unknown): string[] | undefined {
  for (const e of chain(err)) {
    if ((e.code === 11000 || e.code === 11001) && String(e.name).startsWith('Mongo')) {
      const keyValue = (e as { keyValue?: Record<string, unknown> }).keyValue;
      return keyValue ? Object.keys(keyValue) : [];
    }
  }
  return undefined;
}
