import type { FastifyInstance } from 'fastify';
import { ProblemException } from '../problem/problem.js';

export const MAX_BODY_DEPTH = 32;

/** Nesting depth of a parsed JSON value, without recursion (a deep value is the thing being guarded against). */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * JSON.parse accepts any depth, but class-transformer, validation and logging recurse and would overflow
 * the stack (a 500) on a body like `[[[[…]]]]`. Such bodies are refused before anything walks them.
 */
export function registerBodyDepthLimit(fastify: FastifyInstance, limit = MAX_BODY_DEPTH): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (request.body !== null && typeof request.body === 'object' && depthExceeds(request.body, limit)) {
      done(
        ProblemException.validation([
          {
            field: 'body',
            message: `must not be nested deeper than ${limit} levels`,
          },
        ]),
      );
      return;
    }
    done();
  });
}
