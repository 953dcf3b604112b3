import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export interface SignOptions {
  kid?: string;
  /** Sign with a key the JWKS does not publish (under the published kid unless `kid` says otherwise). */
  foreignKey?: boolean;
  issuer?: string;
  audience?: string;
  expiresIn?: number;
  notBefore?: number;
  claims?: Record<string, unknown>;
}

/**
 * A local identity provider shaped like Firebase Auth: RS256 keys with a `kid`, published as a JWKS over
 * HTTP, and ID tokens with issuer `https://securetoken.google.com/<project>` and audience `<project>`.
 */
export class LocalJwks {
  readonly kid = 'test-key-1';
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly project: string,
    private readonly privateKey: CryptoKey,
    private readonly foreignKey: CryptoKey,
    readonly served: { count: number },
  ) {}

  static async start(project = 'keel-test-project'): Promise<LocalJwks> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', {
      extractable: true,
    });
    const foreign = await generateKeyPair('RS256');
    const jwk: JWK = {
      ...(await exportJWK(publicKey)),
      kid: 'test-key-1',
      alg: 'RS256',
      use: 'sig',
    };
    const served = { count: 0 };
    const server = createServer((req, res) => {
      served.count++;
      res.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=3600',
      });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return new LocalJwks(server, `http://127.0.0.1:${port}/jwks.json`, project, privateKey, foreign.privateKey, served);
  }

  get issuer(): string {
    return `https://securetoken.google.com/${this.project}`;
  }

  /** App environment for this provider. */
  get env(): Record<string, string> {
    return { AUTH_FIREBASE_PROJECT_ID: this.project, AUTH_JWKS_URL: this.url };
  }

  async sign(sub: string, o: SignOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({
      auth_time: now,
      firebase: { sign_in_provider: 'password' },
      ...o.claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? this.kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(o.issuer ?? this.issuer)
      .setAudience(o.audience ?? this.project)
      .setIssuedAt(now)
      .setExpirationTime(now + (o.expiresIn ?? 600));
    if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
    return jwt.sign(o.foreignKey ? this.foreignKey : this.privateKey);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
