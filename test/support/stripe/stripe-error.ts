/** An error the fake answers the way Stripe does: `{ error: { type, code, message, ... } }`. */
export class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    /** Whether Stripe's idempotency layer keeps this answer (false for requests rejected before execution). */
    readonly saved = true,
  ) {
    super(String(body.message));
  }

  static invalid(message: string, code: string, param?: string, saved = false): StripeHttpError {
    return new StripeHttpError(
      400,
      { type: 'invalid_request_error', code, message, ...(param ? { param } : {}) },
      saved,
    );
  }

  static missing(what: string, id: string): StripeHttpError {
    return new StripeHttpError(
      404,
      { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}: '${id}'`, param: 'id' },
      false,
    );
  }
}
