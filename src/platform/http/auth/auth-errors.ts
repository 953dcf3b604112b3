import { errors } from 'jose';
import { ProblemException } from '../problem/problem.js';

const REALM = 'Bearer realm="keel"';

function quoted(text: string): string {
  return text.replace(/["\\]/g, '');
}

/** 401 with the RFC 6750 challenge; `detail` is safe to show and names what is wrong with the token. */
export function unauthorized(detail: string, code?: 'invalid_request' | 'invalid_token'): ProblemException {
  const challenge = code ? `${REALM}, error="${code}", error_description="${quoted(detail)}"` : REALM;
  return new ProblemException(401, 'Unauthorized', detail, {
    headers: { 'WWW-Authenticate': challenge },
  });
}

export function forbidden(detail: string): ProblemException {
  return new ProblemException(403, 'Forbidden', detail, {
    headers: { 'WWW-Authenticate': `${REALM}, error="insufficient_scope"` },
  });
}

/** Translates a jose verification failure into the answer the client gets; JWKS outages are ours (503). */
export function tokenProblem(err: unknown): ProblemException {
  if (err instanceof errors.JWTExpired) return unauthorized('The token has expired.', 'invalid_token');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Record<string, string> = {
      nbf: 'The token is not valid yet.',
      iat: 'The token was issued in the future.',
      iss: 'The token was issued by an issuer this API does not accept.',
      aud: 'The token was issued for another audience.',
      sub: 'The token has no subject.',
      exp: 'The token has no expiry.',
    };
    return unauthorized(byClaim[err.claim] ?? `The token's ${quoted(err.claim)} claim is invalid.`, 'invalid_token');
  }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return unauthorized('The token signature is invalid.', 'invalid_token');
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return unauthorized('The token is signed with an algorithm this API does not accept.', 'invalid_token');
  }
  if (err instanceof errors.JWKSNoMatchingKey)
    return unauthorized('The token is signed with an unknown key.', 'invalid_token');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || isFetchFailure(err)) {
    return ProblemException.unavailable('The signing keys of the identity provider cannot be fetched right now.', 5);
  }
  return unauthorized('The token is malformed.', 'invalid_token');
}

function isFetchFailure(err: unknown): boolean {
  if (err instanceof errors.JOSEError) return /Expected 200 OK|JSON Web Key Set/.test(err.message);
  return err instanceof TypeError && /fetch/i.test(err.message);
}
