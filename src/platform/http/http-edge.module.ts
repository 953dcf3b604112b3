import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/index.js';
import { RedisConnections } from '../redis/index.js';
import { AuthGuard } from './auth/auth.guard.js';
import { resolveAuthSettings } from './auth/auth-settings.js';
import { TokenVerifier } from './auth/token-verifier.js';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor.js';
import { IDEMPOTENCY_MODEL, IdempotencySchema } from './idempotency/idempotency.schema.js';
import { IdempotencyStore } from './idempotency/idempotency.store.js';
import { ProblemFilter } from './problem/problem.filter.js';
import { createValidationPipe } from './problem/validation.js';
import { throttlingOptions } from './throttling/throttling.options.js';

/**
 * Everything a request meets before a feature's controller. Guards run in the order listed: the caller is
 * authenticated first, so the rate limit can count per user.
 */
@Global()
@Module({})
export class HttpEdgeModule {
  static forRoot(config: AppConfig): DynamicModule {
    // Resolved now, before anything connects: a production boot without auth fails with a BootError.
    const auth = resolveAuthSettings(config);
    return {
      module: HttpEdgeModule,
      imports: [
        ThrottlerModule.forRootAsync({
          inject: [AppConfig, RedisConnections],
          useFactory: throttlingOptions,
        }),
        MongooseModule.forFeature([{ name: IDEMPOTENCY_MODEL, schema: IdempotencySchema }]),
      ],
      providers: [
        {
          provide: TokenVerifier,
          useFactory: () => {
            if (auth.mode === 'secret' && auth.devDefault) {
              new Logger('Auth').warn(
                'No auth configured: accepting HS256 tokens signed with the built-in DEVELOPMENT secret (`npm run token`). ' +
                  'Set AUTH_FIREBASE_PROJECT_ID, AUTH_JWKS_URL (+ AUTH_ISSUER, AUTH_AUDIENCE) or AUTH_JWT_SECRET before exposing this server.',
              );
            }
            return new TokenVerifier(auth);
          },
        },
        IdempotencyStore,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [TokenVerifier],
    };
  }
}
