/** The authenticated caller, as verified from the bearer token. */
export interface AuthUser {
  /** The token's `sub`: the owner id of everything this user creates. */
  id: string;
  roles: string[];
  claims: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: AuthUser;
  }
}
