import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TokenVerifier } from './token-verifier.js';

/**
 * A Fastify onRequest hook for routes Nest does not own (Bull Board at /admin/queues):
 * `fastify.addHook('onRequest', adminOnRequestHook(app.get(TokenVerifier)))`. Failures go through
 * Fastify's error handler, i.e. Nest's exception filters, so they answer problem+json like any route.
 */
export function adminOnRequestHook(verifier: TokenVerifier) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    await verifier.assertAdmin(request);
  };
}
