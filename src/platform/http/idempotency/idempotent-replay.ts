/**
 * Thrown by the idempotency interceptor to send a stored response as it was first sent (status included):
 * the exception filter writes it with `Idempotent-Replayed: true`.
 */
export class IdempotentReplay {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType: string,
  ) {}
}
