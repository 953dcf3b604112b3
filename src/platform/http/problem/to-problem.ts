import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { duplicateKeyFields, isMongoUnavailable } from './mongo-errors.js';
import { ProblemException, ProblemType, typeForStatus, type FieldError, type ProblemDetails } from './problem.js';

export interface MappedProblem {
  problem: ProblemDetails;
  headers: Record<string, string>;
  /** Not a client mistake: log it (with its stack) under the request's correlation id. */
  unexpected: boolean;
}

const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than this server accepts.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The Content-Type of the body is not supported; send application/json.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The body is empty although Content-Type says application/json.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the length of the body.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
  FST_ERR_BAD_URL: 'The request URL is malformed.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is longer than this server accepts.',
};

function titleFor(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function make(status: number, detail: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  return {
    type: typeForStatus(status),
    title: titleFor(status),
    status,
    detail,
    ...extra,
  };
}

/** Only our own 4xx messages are shown; anything else (5xx, unknown shapes) gets a fixed text. */
function httpExceptionProblem(err: HttpException): ProblemDetails {
  const status = err.getStatus();
  if (status >= 500) return make(status, 'The server could not handle the request.');
  const body = err.getResponse();
  const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  if (Array.isArray(message)) {
    const errors: FieldError[] = message.map((m) => ({
      field: 'request',
      message: String(m),
    }));
    return make(status, 'The request is invalid; see errors.', { errors });
  }
  if (status === 429) return make(429, 'Too many requests; wait for the number of seconds in Retry-After.');
  if (err.cause instanceof SyntaxError || (status === 400 && /JSON/.test(String(message)))) {
    return make(400, FASTIFY_DETAILS.FST_ERR_CTP_INVALID_JSON_BODY);
  }
  const unrouted = typeof message === 'string' ? /^Cannot ([A-Z]+) ([^?#\s]*)/.exec(message) : null;
  if (status === 404 && unrouted) return make(404, `No route matches ${unrouted[1]} ${unrouted[2]}.`);
  return make(status, typeof message === 'string' && message ? message : titleFor(status));
}

/** Maps anything a request can throw to the problem+json the client gets. Pure: no logging, no I/O. */
export function toProblem(err: unknown): MappedProblem {
  if (err instanceof ProblemException) {
    const problem: ProblemDetails = {
      type: err.problemType,
      title: err.title,
      status: err.getStatus(),
      detail: err.detail,
    };
    if (err.errors) problem.errors = err.errors;
    return { problem, headers: err.headers, unexpected: false };
  }
  if (err instanceof HttpException) {
    const problem = httpExceptionProblem(err);
    return { problem, headers: {}, unexpected: problem.status >= 500 };
  }
  const e = (err ?? {}) as {
    statusCode?: unknown;
    code?: unknown;
    name?: unknown;
    path?: unknown;
    errors?: unknown;
  };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && typeof e.code === 'string') {
    const detail = FASTIFY_DETAILS[e.code] ?? titleFor(e.statusCode);
    return {
      problem: make(e.statusCode, detail),
      headers: {},
      unexpected: false,
    };
  }
  if (err instanceof SyntaxError) {
    return {
      problem: make(400, FASTIFY_DETAILS.FST_ERR_CTP_INVALID_JSON_BODY),
      headers: {},
      unexpected: false,
    };
  }
  if (isMongoUnavailable(err)) {
    const problem = make(503, 'The database is temporarily unavailable; retry shortly.', {
      type: ProblemType.unavailable,
    });
    return { problem, headers: { 'Retry-After': '5' }, unexpected: false };
  }
  const dupFields = duplicateKeyFields(err);
  if (dupFields) {
    const errors = dupFields.map((field) => ({
      field,
      message: 'is already taken',
    }));
    return {
      problem: make(409, 'A resource with the same unique values already exists.', { errors }),
      headers: {},
      unexpected: false,
    };
  }
  if (e.name === 'CastError' && typeof e.path === 'string') {
    return {
      problem: validation([{ field: e.path, message: 'has an invalid value' }]),
      headers: {},
      unexpected: false,
    };
  }
  if (e.name === 'ValidationError' && e.errors && typeof e.errors === 'object') {
    const errors = Object.keys(e.errors).map((field) => ({
      field,
      message: 'is invalid',
    }));
    return { problem: validation(errors), headers: {}, unexpected: false };
  }
  const problem = make(500, 'An unexpected error occurred. Quote the correlationId when reporting it.', {
    type: ProblemType.internal,
  });
  return { problem, headers: {}, unexpected: true };
}

function validation(errors: FieldError[]): ProblemDetails {
  return make(400, 'The request has invalid fields; see errors.', {
    type: ProblemType.validation,
    title: 'Invalid request',
    errors,
  });
}
