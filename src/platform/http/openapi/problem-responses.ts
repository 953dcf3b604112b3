import type { OpenAPIObject } from '@nestjs/swagger';
import { PUBLIC_EXTENSION } from '../auth/auth.decorators.js';
import { isAdminPath, isPublicPath } from '../auth/route-access.js';

type Operation = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details. Switch on `type`; `title` and `detail` are for people.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', example: 'urn:keel:problem:validation' },
    title: { type: 'string', example: 'Invalid request' },
    status: { type: 'integer', example: 400 },
    detail: {
      type: 'string',
      example: 'The request has invalid fields; see errors.',
    },
    instance: { type: 'string', example: '/v1/payments' },
    correlationId: {
      type: 'string',
      description: 'Also in the x-request-id response header; quote it in bug reports.',
    },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: { type: 'string', example: 'amount' },
          message: { type: 'string', example: 'must be a positive number' },
        },
      },
    },
  },
};

const header = (description: string, schema: object = { type: 'string' }) => ({
  description,
  schema,
});

const RESPONSES: Record<string, { description: string; headers?: Record<string, object> }> = {
  '400': {
    description: 'Malformed or invalid input (`errors` names each field).',
  },
  '401': {
    description: 'Missing, malformed, expired or otherwise invalid bearer token.',
    headers: { 'WWW-Authenticate': header('Bearer challenge (RFC 6750)') },
  },
  '403': {
    description: 'Authenticated, but the token lacks the required role.',
  },
  '404': { description: 'No such resource, or it belongs to another user.' },
  '409': {
    description: 'Conflict: a unique value is taken, or a request with the same Idempotency-Key is still running.',
    headers: {
      'Retry-After': header('Seconds to wait before retrying', {
        type: 'integer',
      }),
    },
  },
  '413': { description: 'The body exceeds the size limit.' },
  '415': { description: 'The body is not application/json.' },
  '422': {
    description: 'A business rule refuses the request, or the Idempotency-Key was used with a different request.',
  },
  '429': {
    description: 'Rate limit exceeded.',
    headers: {
      'Retry-After': header('Seconds to wait before retrying', {
        type: 'integer',
      }),
    },
  },
  '500': { description: 'Unexpected error; quote the correlationId.' },
  '503': {
    description: 'A dependency is unavailable or the feature is not configured.',
    headers: {
      'Retry-After': header('Seconds to wait before retrying', {
        type: 'integer',
      }),
    },
  },
};

function statusesFor(path: string, method: string, op: Operation, open: boolean): string[] {
  const out = ['400', '500', '503'];
  if (!open) out.push('401');
  if (isAdminPath(path)) out.push('403');
  if (path.includes('{')) out.push('404');
  if (op.requestBody) out.push('413', '415');
  if (method === 'post') out.push('409', '422');
  if (!/^\/(health|metrics)/.test(path)) out.push('429');
  return out;
}

/**
 * Completes what decorators cannot express per route: the problem+json error answers, bearer security
 * (none on public routes) and the Idempotency-Key header of every POST.
 */
export function withEdgeConventions(doc: OpenAPIObject): OpenAPIObject {
  const components = (doc.components ??= {});
  components.schemas = {
    ...components.schemas,
    ProblemDetails: problemSchema as never,
  };
  components.responses = { ...components.responses };
  for (const [status, r] of Object.entries(RESPONSES)) {
    components.responses[`Problem${status}`] = {
      ...r,
      content: {
        'application/problem+json': {
          schema: { $ref: '#/components/schemas/ProblemDetails' },
        },
      },
    } as never;
  }
  components.parameters = {
    ...components.parameters,
    IdempotencyKey: {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Makes a retried POST safe: the first completed response is replayed for 24 h (with Idempotent-Replayed: true). ' +
        'Reusing a key with a different request answers 422; while the first is running, 409.',
      schema: { type: 'string', maxLength: 255 },
    },
  };

  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      const open = op[PUBLIC_EXTENSION] === true || isPublicPath(path);
      delete op[PUBLIC_EXTENSION];
      if (open) op.security = [];
      op.responses ??= {};
      for (const status of statusesFor(path, method, op, open)) {
        op.responses[status] ??= {
          $ref: `#/components/responses/Problem${status}`,
        };
      }
      if (method === 'post') {
        op.parameters = [...(op.parameters ?? []), { $ref: '#/components/parameters/IdempotencyKey' }];
        for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
          if (!status.startsWith('2') || response.$ref) continue;
          response.headers = {
            ...response.headers,
            'Idempotent-Replayed': header(
              '"true" when this is the stored response of an earlier request with the same key',
            ),
          };
        }
      }
    }
  }
  return doc;
}
