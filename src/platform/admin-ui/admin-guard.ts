import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_JSON, ProblemException, type TokenVerifier } from '../http/index.js';

/**
 * onRequest hook requiring an admin bearer token. Bull Board sets its own Fastify error handler on its
 * routes (which would turn a 401 into its generic 500), so refusals are answered here, in the same
 * problem+json shape as every other route.
 */
export function requireAdmin(verifier: TokenVerifier) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      await verifier.assertAdmin(request);
    } catch (err) {
      if (!(err instanceof ProblemException)) throw err;
      const status = err.getStatus();
      const problem = {
        type: err.problemType,
        title: err.title,
        status,
        detail: err.detail,
        instance: request.url.split('?')[0],
        correlationId: String(request.id),
      };
      await reply.status(status).headers(err.headers).type(PROBLEM_JSON).send(JSON.stringify(problem));
    }
  };
}
