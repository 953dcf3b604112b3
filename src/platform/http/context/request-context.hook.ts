import { AsyncResource } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestContext } from '../../context/index.js';
import { CORRELATION_HEADER } from './correlation-id.js';

const SCOPE = Symbol('keel.requestScope');
type ScopedRequest = FastifyRequest & { [SCOPE]?: AsyncResource };

/**
 * Opens the RequestContext for every request and echoes the correlation id. Fastify parses the body from
 * socket events, which lose async context, so the scope captured here is re-entered once the body is in
 * (preValidation): guards, handlers and their logs see the context (and the logger's) for POSTs too.
 * Register after Nest's middleware (pino-http), so that its logging context is captured as well.
 */
export function registerRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_HEADER, request.id);
    RequestContext.run({ correlationId: String(request.id) }, () => {
      (request as ScopedRequest)[SCOPE] = new AsyncResource('keel.request');
      done();
    });
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const scope = (request as ScopedRequest)[SCOPE];
    if (scope) scope.runInAsyncScope(done);
    else done();
  });
}
