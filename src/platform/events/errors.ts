/**
 * Thrown by a handler when retrying cannot help (the input is wrong, the resource is gone): the delivery
 * skips its remaining attempts and goes straight to the dead letters.
 */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
}

/** An event payload that failed its handler's validation: permanent. */
export class EventValidationError extends PermanentError {
  override readonly name = 'EventValidationError';
}

/** `EventPublisher.publish` was called with a session that is not inside a transaction. */
export class OutsideTransactionError extends Error {
  override readonly name = 'OutsideTransactionError';
}

export function isPermanent(err: unknown): boolean {
  return err instanceof PermanentError || (err instanceof Error && err.name === 'UnrecoverableError');
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
