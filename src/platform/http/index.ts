export { HttpEdgeModule } from './http-edge.module.js';
export { configureHttpEdge, httpServerOptions, corsOrigins } from './configure-http.js';
export type { AuthUser } from './auth/auth-user.js';
export { Public, CurrentUser } from './auth/auth.decorators.js';
export { TokenVerifier } from './auth/token-verifier.js';
export { adminOnRequestHook } from './auth/admin-hook.js';
export { resolveAuthSettings, DEV_AUTH, type AuthSettings } from './auth/auth-settings.js';
export { ProblemException, ProblemType, type ProblemDetails, type FieldError } from './problem/problem.js';
export { PROBLEM_JSON } from './problem/problem.filter.js';
export { isMongoUnavailable } from './problem/mongo-errors.js';
export {
  OwnedRepository,
  type Owner,
  type OwnedFields,
  type OwnedFilter,
  type OwnedDocument,
  type NewOwned,
} from './ownership/owned.repository.js';
export { ParseObjectIdPipe } from './ownership/object-id.pipe.js';
export { IDEMPOTENCY_HEADER } from './idempotency/idempotency.interceptor.js';
export { buildOpenApiDocument } from './openapi/openapi.js';
export { PageQuery, MAX_PAGE, DEFAULT_PAGE } from './paging/page.query.js';
