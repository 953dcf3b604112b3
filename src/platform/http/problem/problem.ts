import { HttpException } from '@nestjs/common';

/** One invalid input: a dotted path into the body, or the name of a path/query parameter or header. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every error response of keel carries them. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  correlationId?: string;
  errors?: FieldError[];
}

/** Stable problem types: clients switch on these, never on `title` or `detail`. */
export const ProblemType = {
  validation: 'urn:keel:problem:validation',
  badRequest: 'urn:keel:problem:bad-request',
  unauthorized: 'urn:keel:problem:unauthorized',
  forbidden: 'urn:keel:problem:forbidden',
  notFound: 'urn:keel:problem:not-found',
  methodNotAllowed: 'urn:keel:problem:method-not-allowed',
  conflict: 'urn:keel:problem:conflict',
  payloadTooLarge: 'urn:keel:problem:payload-too-large',
  unsupportedMediaType: 'urn:keel:problem:unsupported-media-type',
  businessRule: 'urn:keel:problem:business-rule',
  idempotencyKeyReused: 'urn:keel:problem:idempotency-key-reused',
  idempotencyInProgress: 'urn:keel:problem:idempotency-in-progress',
  rateLimited: 'urn:keel:problem:rate-limited',
  unavailable: 'urn:keel:problem:service-unavailable',
  notConfigured: 'urn:keel:problem:not-configured',
  internal: 'urn:keel:problem:internal',
} as const;

export interface ProblemOptions {
  type?: string;
  errors?: FieldError[];
  /** Response headers that belong to this problem (WWW-Authenticate, Retry-After). */
  headers?: Record<string, string>;
}

/**
 * The exception features throw to answer a specific problem, e.g.
 * `throw new ProblemException(422, 'Insufficient balance', 'The wallet holds 3 USDC, 5 are needed.')`.
 * `title` and `detail` reach the client verbatim, so never put internals in them.
 */
export class ProblemException extends HttpException {
  readonly problemType: string;
  readonly title: string;
  readonly detail: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(status: number, title: string, detail: string, options: ProblemOptions = {}) {
    super(detail, status);
    this.title = title;
    this.detail = detail;
    this.problemType = options.type ?? typeForStatus(status);
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  static validation(errors: FieldError[], detail = 'The request has invalid fields; see errors.'): ProblemException {
    return new ProblemException(400, 'Invalid request', detail, {
      type: ProblemType.validation,
      errors,
    });
  }

  /** 422: the input is well-formed but a business rule refuses it. */
  static businessRule(title: string, detail: string): ProblemException {
    return new ProblemException(422, title, detail, {
      type: ProblemType.businessRule,
    });
  }

  static notFound(detail = 'No such resource.'): ProblemException {
    return new ProblemException(404, 'Not found', detail, {
      type: ProblemType.notFound,
    });
  }

  /** 503 for a feature whose provider is not configured, naming what to set. */
  static notConfigured(...variables: string[]): ProblemException {
    return new ProblemException(
      503,
      'Feature not configured',
      `This feature is not configured on the server: set ${variables.join(', ')}.`,
      { type: ProblemType.notConfigured },
    );
  }

  static unavailable(detail: string, retryAfterSeconds = 5): ProblemException {
    return new ProblemException(503, 'Service unavailable', detail, {
      type: ProblemType.unavailable,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

export function typeForStatus(status: number): string {
  const byStatus: Record<number, string> = {
    400: ProblemType.badRequest,
    401: ProblemType.unauthorized,
    403: ProblemType.forbidden,
    404: ProblemType.notFound,
    405: ProblemType.methodNotAllowed,
    409: ProblemType.conflict,
    413: ProblemType.payloadTooLarge,
    415: ProblemType.unsupportedMediaType,
    422: ProblemType.businessRule,
    429: ProblemType.rateLimited,
    503: ProblemType.unavailable,
  };
  return byStatus[status] ?? (status >= 500 ? ProblemType.internal : ProblemType.badRequest);
}
