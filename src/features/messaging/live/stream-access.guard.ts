import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ParseObjectIdPipe, ProblemException, type AuthUser } from '../../../platform/http/index.js';
import { MessagingService } from '../messaging.service.js';

const FROM = Symbol('messaging:stream-from');

type StreamRequest = FastifyRequest<{ Params: { id: string }; Querystring: { after?: string } }> & {
  user?: AuthUser;
  [FROM]?: number;
};

/**
 * For the SSE route: access (404), `Last-Event-ID` / `after` (400) and where the stream starts are all
 * settled before the response starts. An error once Nest has sent the SSE headers can only become an
 * `event: error` with status 200, and a start decided before the 200 means that a message stored after
 * the client got it is always delivered.
 */
@Injectable()
export class StreamAccessGuard implements CanActivate {
  constructor(private readonly conversations: MessagingService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<StreamRequest>();
    const id = new ParseObjectIdPipe().transform(req.params.id, { type: 'param', data: 'id' });
    const after = req.query.after;
    if (after !== undefined && !/^\d{1,15}$/.test(after)) {
      throw ProblemException.validation([
        { field: 'after', message: 'must be a non-negative integer (a message seq)' },
      ]);
    }
    const header = req.headers['last-event-id'];
    const lastEventId = Array.isArray(header) ? header[0] : header;
    if (!req.user) throw ProblemException.notFound(`No conversation ${id}.`);
    req[FROM] = await this.conversations.streamStart(
      req.user,
      id,
      lastEventId,
      after === undefined ? undefined : Number(after),
    );
    return true;
  }
}

/** The seq the stream starts after, as StreamAccessGuard decided it. */
export const StreamFrom = createParamDecorator((_: unknown, context: ExecutionContext): number => {
  const from = context.switchToHttp().getRequest<StreamRequest>()[FROM];
  if (from === undefined) throw new Error('StreamFrom needs StreamAccessGuard on the route');
  return from;
});
