import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { forbidden } from './auth-errors.js';
import { IS_PUBLIC } from './auth.decorators.js';
import { isAdminPath, isPublicPath, requestPath } from './route-access.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Global guard: every route needs a valid bearer token unless it is @Public() or a probe/metrics/docs path;
 * anything under /admin also needs the admin role. Feature controllers add no auth code of their own.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // Both the route template and the decoded URL, so that no spelling of a path slips past the admin check.
    const paths = [request.routeOptions?.url ?? '', requestPath(request.url)];
    const admin = paths.some(isAdminPath);
    const open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (!admin && (open || paths.every(isPublicPath))) return true;

    const user = await this.verifier.authenticate(request);
    if (admin && !this.verifier.isAdmin(user)) throw forbidden('This route requires the admin role.');
    return true;
  }
}
