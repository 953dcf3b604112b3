import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { AppConfig } from '../../config/index.js';
import { registerBodyDepthLimit } from './context/body-depth.hook.js';
import { correlationIdOf } from './context/correlation-id.js';
import { registerRequestContext } from './context/request-context.hook.js';
import { setupOpenApi } from './openapi/openapi.js';
import { PROBLEM_JSON } from './problem/problem.filter.js';
import { typeForStatus } from './problem/problem.js';
import { toProblem } from './problem/to-problem.js';

/** Headers browsers may read from cross-origin responses. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'Idempotent-Replayed',
  'Retry-After',
  'WWW-Authenticate',
  'Location',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

/**
 * Options for `new FastifyAdapter(...)`: body size limit, the correlation id as request.id, and
 * problem+json for what Fastify and Node answer before any route runs (a malformed URL escape, an
 * over-long path parameter, a request that is not valid HTTP or has too large headers), which they
 * otherwise answer with their own JSON shapes.
 */
export function httpServerOptions(config: AppConfig): FastifyServerOptions {
  return {
    bodyLimit: config.HTTP_BODY_LIMIT,
    genReqId: correlationIdOf,
    frameworkErrors: (error, request, reply) => {
      const { problem } = toProblem(error);
      problem.instance = request.url.split('?')[0];
      problem.correlationId = String(request.id);
      void (reply as unknown as FastifyReply)
        .code(problem.status)
        .header('x-request-id', String(request.id))
        .type(PROBLEM_JSON)
        .send(JSON.stringify(problem));
    },
    clientErrorHandler: answerClientError,
  };
}

/** Node's clientError (the request could not be parsed): a problem+json answer, then the socket closes. */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'The request did not arrive in time.']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The request headers are larger than this server accepts.']
        : [400, 'The request is not valid HTTP.'];
  const correlationId = randomUUID();
  const body = JSON.stringify({
    type: typeForStatus(status),
    title: STATUS_CODES[status],
    status,
    detail,
    correlationId,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_JSON}\r\nx-request-id: ${correlationId}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Comma-separated CORS_ORIGINS: unset means no cross-origin access, `*` any origin. */
export function corsOrigins(value: string | undefined): string[] | true | undefined {
  const list = (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (list.length === 0) return undefined;
  return list.includes('*') ? true : list;
}

/**
 * The API speaks JSON only. Fastify parses text/plain and Nest adds a form parser; both are turned into
 * 415 so that a form post or a text body never reaches a controller as something else.
 */
function rejectNonJsonBodies(app: NestFastifyApplication): void {
  app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
  app.useBodyParser('application/x-www-form-urlencoded', {}, (_req, _body, done) => {
    done(
      Object.assign(new Error('Unsupported Media Type'), {
        statusCode: 415,
        code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      }),
      undefined,
    );
  });
}

/** App-level parts of the HTTP edge that live on the Fastify instance rather than in Nest's DI. */
export async function configureHttpEdge(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  // After NestFactory.create, so after middie: the pino-http context is captured with ours.
  registerRequestContext(app.getHttpAdapter().getInstance());
  registerBodyDepthLimit(app.getHttpAdapter().getInstance());
  rejectNonJsonBodies(app);
  await app.register(helmet, { global: true });
  const origin = corsOrigins(config.CORS_ORIGINS);
  if (origin) {
    app.enableCors({ origin, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 });
  }
  setupOpenApi(app);
}
