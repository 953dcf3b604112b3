import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './auth-errors.js';
import type { AuthUser } from './auth-user.js';

export const IS_PUBLIC = 'keel:public';
/** OpenAPI marker the document builder turns into "no security" for the operation. */
export const PUBLIC_EXTENSION = 'x-keel-public';

/** Marks a route (or a whole controller) as open to anonymous callers. Use sparingly. */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));

/** The verified caller: `handler(@CurrentUser() user: AuthUser)`. Only valid on routes that are not @Public(). */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  const user = ctx.switchToHttp().getRequest<FastifyRequest>().user;
  if (!user) throw unauthorized('A bearer token is required.');
  return user;
});
