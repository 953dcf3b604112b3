import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { IdempotentReplay } from '../idempotency/idempotent-replay.js';
import { toProblem } from './to-problem.js';

export const PROBLEM_JSON = 'application/problem+json';

/**
 * The one place that writes error responses: Nest exceptions, Fastify's own errors (body parsing, 404),
 * database outages and bugs alike leave as application/problem+json. Idempotent replays pass through
 * here too, since an interceptor cannot send a status of its choosing.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@InjectPinoLogger('HttpErrors') private readonly logger: PinoLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // Errors thrown by Nest middleware (e.g. the request logger) arrive with Node's raw response.
    if (typeof (reply as { status?: unknown }).status !== 'function')
      return this.catchRaw(exception, request, reply as unknown as ServerResponse);
    if (reply.sent) return;

    if (exception instanceof IdempotentReplay) {
      reply
        .status(exception.status)
        .header('Idempotent-Replayed', 'true')
        .type(exception.contentType)
        .send(exception.body);
      return;
    }

    const { problem, headers, unexpected } = toProblem(exception);
    if (unexpected) {
      this.logger.error({ err: exception }, 'unhandled error answered with 500');
    } else if (problem.status === 503) {
      this.logger.warn({ reason: (exception as Error)?.message }, 'dependency unavailable, answered 503');
    }
    problem.instance = request.url.split('?')[0];
    problem.correlationId = String(request.id);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    reply.status(problem.status).type(PROBLEM_JSON).send(JSON.stringify(problem));
  }

  private catchRaw(exception: unknown, request: { url?: string; id?: unknown }, res: ServerResponse): void {
    if (res.headersSent || res.writableEnded) return;
    const { problem, headers, unexpected } = toProblem(exception);
    if (unexpected) this.logger.error({ err: exception }, 'unhandled error answered with 500');
    problem.instance = (request.url ?? '').split('?')[0];
    if (request.id !== undefined) problem.correlationId = String(request.id);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.statusCode = problem.status;
    res.setHeader('content-type', PROBLEM_JSON);
    res.end(JSON.stringify(problem));
  }
}
