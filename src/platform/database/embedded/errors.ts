import type { Document } from 'bson';

/** Server error codes the embedded server answers with, named as MongoDB names them. */
export const Codes = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  InvalidBSON: 22,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  WriteConflict: 112,
  InvalidPipelineOperator: 168,
  TransactionTooOld: 225,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  DuplicateKey: 11000,
  Location40324: 40324,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(Codes).map(([k, v]) => [v, k]));

export class MongoCommandError extends Error {
  readonly codeName: string;
  constructor(
    readonly code: number,
    message: string,
    readonly extra: Document = {},
    readonly errorLabels: string[] = [],
  ) {
    super(message);
    this.codeName = NAMES[code] ?? 'UnknownError';
  }

  toReply(): Document {
    const reply: Document = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
    if (this.errorLabels.length) reply.errorLabels = this.errorLabels;
    return reply;
  }

  /** The shape used inside `writeErrors` entries. */
  toWriteError(index: number): Document {
    return { index, code: this.code, codeName: this.codeName, errmsg: this.message, ...this.extra };
  }
}

export const badValue = (msg: string) => new MongoCommandError(Codes.BadValue, msg);
export const failedToParse = (msg: string) => new MongoCommandError(Codes.FailedToParse, msg);

export const writeConflict = () =>
  new MongoCommandError(
    Codes.WriteConflict,
    'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
    {},
    ['TransientTransactionError'],
  );

export const noSuchTransaction = (txnNumber: number) =>
  new MongoCommandError(Codes.NoSuchTransaction, `Transaction with { txnNumber: ${txnNumber} } has been aborted.`, {}, [
    'TransientTransactionError',
  ]);

/**
 * Translates mingo's exceptions (plain Errors with English messages) into MongoDB's codes, so that a
 * bad operator in a filter, update or pipeline reads like the real server's answer.
 */
export function fromMingo(err: unknown): MongoCommandError {
  if (err instanceof MongoCommandError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  let m: RegExpMatchArray | null;
  if (/immutable field '_id'/.test(msg)) return new MongoCommandError(Codes.ImmutableField, msg);
  if ((m = msg.match(/unknown top level operator: (\$\w+)/))) {
    return badValue(
      `unknown top level operator: ${m[1]}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.`,
    );
  }
  if ((m = msg.match(/unknown query operator (\$\w+)/))) return badValue(`unknown operator: ${m[1]}`);
  if ((m = msg.match(/unregistered pipeline operator (\$\w+)/))) {
    return new MongoCommandError(Codes.Location40324, `Unrecognized pipeline stage name: '${m[1]}'`);
  }
  if ((m = msg.match(/accumulator '(\$\w+)' is not registered/))) {
    return new MongoCommandError(Codes.InvalidPipelineOperator, `Unrecognized expression '${m[1]}'`);
  }
  return badValue(msg);
}
