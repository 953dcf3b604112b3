import type { AuthUser } from './auth-user.js';

interface Entry {
  user: AuthUser;
  /** Seconds since the epoch, from the token's claims. */
  exp: number;
  nbf: number | undefined;
  /** Milliseconds: an entry is re-verified after this even if the token is still valid (JWKS key rotation). */
  recheckAt: number;
}

/**
 * A bounded LRU of tokens that passed full verification, keyed by the raw compact JWT: the same token
 * repeats on every request of a session, and its signature check (an HMAC or RSA verify through
 * WebCrypto) is the largest part of authenticating it. A hit still honours `exp` and `nbf` with the
 * verifier's clock tolerance; failures are never cached, so a bad token always meets the full check.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly clockToleranceSec: number,
    private readonly maxAgeMs: number,
  ) {}

  get(token: string): AuthUser | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    const nowMs = Date.now();
    const now = nowMs / 1000;
    const usable =
      nowMs < entry.recheckAt &&
      entry.exp > now - this.clockToleranceSec &&
      (entry.nbf === undefined || entry.nbf <= now + this.clockToleranceSec);
    this.entries.delete(token);
    if (!usable) return undefined;
    this.entries.set(token, entry);
    return entry.user;
  }

  set(token: string, user: AuthUser): void {
    const { exp, nbf } = user.claims;
    if (typeof exp !== 'number') return;
    this.entries.delete(token);
    this.entries.set(token, {
      user,
      exp,
      nbf: typeof nbf === 'number' ? nbf : undefined,
      recheckAt: Date.now() + this.maxAgeMs,
    });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
