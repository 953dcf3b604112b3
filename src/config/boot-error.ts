/** A startup failure the operator can fix; main.ts prints its message without a stack trace and exits 1. */
export class BootError extends Error {
  override readonly name = 'BootError';
}
