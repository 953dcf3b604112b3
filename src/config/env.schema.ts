import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';

export const APP_ROLES = ['api', 'worker', 'all'] as const;
export type AppRole = (typeof APP_ROLES)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * Every environment variable keel reads. Defaults live here and in .env.example; each constraint's
 * message is what the boot error tells the operator. Blank values count as unset.
 */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'], {
    message: 'NODE_ENV must be one of development, production, test',
  })
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Type(() => Number)
  @IsInt({ message: 'PORT must be an integer TCP port, e.g. PORT=3000' })
  @Min(0, { message: 'PORT must be between 0 and 65535' })
  @Max(65535, { message: 'PORT must be between 0 and 65535' })
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsIn(APP_ROLES, {
    message: 'APP_ROLE must be one of api, worker, all (default all)',
  })
  APP_ROLE: AppRole = 'all';

  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\/.+/, {
    message:
      'MONGO_URL must be a MongoDB connection string such as mongodb://host:27017/?replicaSet=rs0, or be left unset to use the embedded server',
  })
  MONGO_URL?: string;

  @Matches(/^[A-Za-z0-9_-]{1,63}$/, {
    message: 'MONGO_DB must be 1-63 letters, digits, _ or -',
  })
  MONGO_DB = 'keel';

  @Type(() => Number)
  @IsInt({ message: 'MONGO_TRANSACTION_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(1000, { message: 'MONGO_TRANSACTION_TIMEOUT_MS must be at least 1000' })
  MONGO_TRANSACTION_TIMEOUT_MS = 30_000;

  @Matches(/^rediss?:\/\/.+/, {
    message: 'REDIS_URL must look like redis://host:6379 or rediss://host:6380',
  })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_:{}-]{1,64}$/, {
    message: 'REDIS_PREFIX must be 1-64 characters of letters, digits, _ : - { }',
  })
  REDIS_PREFIX = 'keel';

  @IsIn(LOG_LEVELS, {
    message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`,
  })
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @Type(() => Number)
  @IsInt({ message: 'BOOT_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'BOOT_TIMEOUT_MS must be at least 100' })
  BOOT_TIMEOUT_MS = 5000;

  @Type(() => Number)
  @IsInt({ message: 'SHUTDOWN_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(1000, { message: 'SHUTDOWN_TIMEOUT_MS must be at least 1000' })
  SHUTDOWN_TIMEOUT_MS = 25_000;

  // --- operations (src/platform/lifecycle, metrics, admin-ui; README "Operations") ---

  @IsOptional()
  @Type(() => Number)
  @IsInt({
    message: 'DRAIN_DELAY_MS must be an integer number of milliseconds (default 5000 in production, 0 otherwise)',
  })
  @Min(0, { message: 'DRAIN_DELAY_MS must be 0 or more' })
  DRAIN_DELAY_MS?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'METRICS_PORT must be an integer TCP port, or unset to serve /metrics on PORT' })
  @Min(1, { message: 'METRICS_PORT must be between 1 and 65535' })
  @Max(65535, { message: 'METRICS_PORT must be between 1 and 65535' })
  METRICS_PORT?: number;

  // --- HTTP edge (src/platform/http): auth, body limit, CORS, rate limits, idempotency ---

  @IsOptional()
  @Matches(/^[a-z0-9-]{4,40}$/, {
    message: 'AUTH_FIREBASE_PROJECT_ID must be a Firebase project id such as my-app-1234',
  })
  AUTH_FIREBASE_PROJECT_ID?: string;

  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    { message: 'AUTH_JWKS_URL must be an http(s) URL of a JSON Web Key Set' },
  )
  AUTH_JWKS_URL?: string;

  @IsOptional()
  @IsString()
  AUTH_ISSUER?: string;

  @IsOptional()
  @IsString()
  AUTH_AUDIENCE?: string;

  @IsOptional()
  @Matches(/^.{32,}$/, { message: 'AUTH_JWT_SECRET must be at least 32 characters (HS256 key)' })
  AUTH_JWT_SECRET?: string;

  @Matches(/^[A-Za-z0-9_:./-]{1,100}$/, { message: 'AUTH_ROLES_CLAIM must be a JWT claim name such as roles' })
  AUTH_ROLES_CLAIM = 'roles';

  @Matches(/^[A-Za-z0-9_:.-]{1,100}$/, { message: 'AUTH_ADMIN_ROLE must be a role name such as admin' })
  AUTH_ADMIN_ROLE = 'admin';

  @Type(() => Number)
  @IsInt({ message: 'HTTP_BODY_LIMIT must be an integer number of bytes' })
  @Min(1024, { message: 'HTTP_BODY_LIMIT must be at least 1024 bytes' })
  HTTP_BODY_LIMIT = 1_048_576;

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  /**
   * Which peers may set X-Forwarded-For (client IPs feed per-IP rate limits): `true`, `false`,
   * or comma-separated addresses/CIDRs/presets (loopback, linklocal, uniquelocal).
   */
  @Matches(/^(true|false|[\w.:/,\s-]+)$/, {
    message: 'TRUST_PROXY must be true, false, or comma-separated addresses/CIDRs (e.g. loopback,10.0.0.0/8)',
  })
  TRUST_PROXY = 'loopback,linklocal,uniquelocal';

  @Type(() => Number)
  @IsInt({ message: 'RATE_LIMIT_MAX must be an integer (0 disables rate limiting)' })
  @Min(0, { message: 'RATE_LIMIT_MAX must be 0 or more' })
  RATE_LIMIT_MAX = 600;

  @Type(() => Number)
  @IsInt({ message: 'RATE_LIMIT_WINDOW_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'RATE_LIMIT_WINDOW_MS must be at least 100' })
  RATE_LIMIT_WINDOW_MS = 60_000;

  @Type(() => Number)
  @IsInt({ message: 'IDEMPOTENCY_TTL_S must be an integer number of seconds' })
  @Min(1, { message: 'IDEMPOTENCY_TTL_S must be at least 1' })
  IDEMPOTENCY_TTL_S = 86_400;

  @Type(() => Number)
  @IsInt({ message: 'IDEMPOTENCY_LOCK_S must be an integer number of seconds' })
  @Min(1, { message: 'IDEMPOTENCY_LOCK_S must be at least 1' })
  IDEMPOTENCY_LOCK_S = 60;

  // --- event bus and exactly-once cron (src/platform/events, src/platform/scheduling; docs/events.md) ---
  @Type(() => Number)
  @IsInt({ message: 'EVENTS_CONCURRENCY must be an integer' })
  @Min(1, { message: 'EVENTS_CONCURRENCY must be at least 1' })
  @Max(1000, { message: 'EVENTS_CONCURRENCY must be at most 1000' })
  EVENTS_CONCURRENCY = 4;

  @IsOptional()
  @Matches(/^\s*\{[\s\S]*\}\s*$/, {
    message:
      'EVENTS_CONCURRENCY_OVERRIDES must be a JSON object of subscriber to concurrency, e.g. {"messaging.notifications":8}',
  })
  EVENTS_CONCURRENCY_OVERRIDES?: string;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_ATTEMPTS must be an integer' })
  @Min(1, { message: 'EVENTS_ATTEMPTS must be at least 1' })
  @Max(100, { message: 'EVENTS_ATTEMPTS must be at most 100' })
  EVENTS_ATTEMPTS = 5;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_BACKOFF_MS must be an integer number of milliseconds' })
  @Min(1, { message: 'EVENTS_BACKOFF_MS must be at least 1' })
  EVENTS_BACKOFF_MS = 1000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_BACKOFF_JITTER_PCT must be an integer' })
  @Min(0, { message: 'EVENTS_BACKOFF_JITTER_PCT must be at least 0' })
  @Max(100, { message: 'EVENTS_BACKOFF_JITTER_PCT must be at most 100' })
  EVENTS_BACKOFF_JITTER_PCT = 50;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_LOCK_MS must be an integer number of milliseconds' })
  @Min(1000, { message: 'EVENTS_LOCK_MS must be at least 1000' })
  EVENTS_LOCK_MS = 30000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_SWEEP_INTERVAL_MS must be an integer number of milliseconds' })
  @Min(50, { message: 'EVENTS_SWEEP_INTERVAL_MS must be at least 50' })
  EVENTS_SWEEP_INTERVAL_MS = 1000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_SWEEP_GRACE_MS must be an integer number of milliseconds' })
  @Min(0, { message: 'EVENTS_SWEEP_GRACE_MS must be at least 0' })
  EVENTS_SWEEP_GRACE_MS = 5000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_REDELIVER_AFTER_MS must be an integer number of milliseconds' })
  @Min(1000, { message: 'EVENTS_REDELIVER_AFTER_MS must be at least 1000' })
  EVENTS_REDELIVER_AFTER_MS = 60000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_PUBLISH_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(50, { message: 'EVENTS_PUBLISH_TIMEOUT_MS must be at least 50' })
  EVENTS_PUBLISH_TIMEOUT_MS = 2000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_KEEP_COMPLETED must be an integer' })
  @Min(0, { message: 'EVENTS_KEEP_COMPLETED must be at least 0' })
  EVENTS_KEEP_COMPLETED = 1000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_KEEP_COMPLETED_AGE_S must be an integer number of seconds' })
  @Min(1, { message: 'EVENTS_KEEP_COMPLETED_AGE_S must be at least 1' })
  EVENTS_KEEP_COMPLETED_AGE_S = 3600;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_KEEP_FAILED must be an integer' })
  @Min(0, { message: 'EVENTS_KEEP_FAILED must be at least 0' })
  EVENTS_KEEP_FAILED = 5000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_KEEP_FAILED_AGE_S must be an integer number of seconds' })
  @Min(1, { message: 'EVENTS_KEEP_FAILED_AGE_S must be at least 1' })
  EVENTS_KEEP_FAILED_AGE_S = 604800;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_STREAM_MAXLEN must be an integer' })
  @Min(10, { message: 'EVENTS_STREAM_MAXLEN must be at least 10' })
  EVENTS_STREAM_MAXLEN = 1000;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_INBOX_RETENTION_S must be an integer number of seconds' })
  @Min(60, { message: 'EVENTS_INBOX_RETENTION_S must be at least 60' })
  EVENTS_INBOX_RETENTION_S = 1209600;

  @Type(() => Number)
  @IsInt({ message: 'EVENTS_DRAIN_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(0, { message: 'EVENTS_DRAIN_TIMEOUT_MS must be at least 0' })
  EVENTS_DRAIN_TIMEOUT_MS = 10000;

  @Type(() => Number)
  @IsInt({ message: 'CRON_LEASE_MS must be an integer number of milliseconds' })
  @Min(1000, { message: 'CRON_LEASE_MS must be at least 1000' })
  CRON_LEASE_MS = 30000;

  @Type(() => Number)
  @IsInt({ message: 'CRON_TAKEOVER_INTERVAL_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'CRON_TAKEOVER_INTERVAL_MS must be at least 100' })
  CRON_TAKEOVER_INTERVAL_MS = 2000;

  @Type(() => Number)
  @IsInt({ message: 'CRON_RUN_RETENTION_S must be an integer number of seconds' })
  @Min(60, { message: 'CRON_RUN_RETENTION_S must be at least 60' })
  CRON_RUN_RETENTION_S = 604800;

  // --- ai-jobs (src/features/ai-jobs; README "AI jobs"): OpenAI-compatible chat completions ---
  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    { message: 'AI_BASE_URL must be the http(s) base URL of an OpenAI-compatible API, e.g. https://api.openai.com/v1' },
  )
  AI_BASE_URL?: string;

  @IsOptional()
  @IsString()
  AI_API_KEY?: string;

  @Matches(/^[A-Za-z0-9_.:/@-]{1,200}$/, { message: 'AI_MODEL must be a model name such as gpt-4o-mini' })
  AI_MODEL = 'gpt-4o-mini';

  @Type(() => Number)
  @IsInt({ message: 'AI_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'AI_TIMEOUT_MS must be at least 100' })
  AI_TIMEOUT_MS = 60_000;

  @Type(() => Number)
  @IsInt({ message: 'AI_MAX_RETRIES must be an integer' })
  @Min(0, { message: 'AI_MAX_RETRIES must be 0 or more' })
  @Max(10, { message: 'AI_MAX_RETRIES must be at most 10' })
  AI_MAX_RETRIES = 2;

  @Type(() => Number)
  @IsInt({ message: 'AI_USER_CONCURRENCY must be an integer' })
  @Min(1, { message: 'AI_USER_CONCURRENCY must be at least 1' })
  AI_USER_CONCURRENCY = 2;

  @Type(() => Number)
  @IsInt({ message: 'AI_RATE_LIMIT_PER_MINUTE must be an integer' })
  @Min(1, { message: 'AI_RATE_LIMIT_PER_MINUTE must be at least 1' })
  AI_RATE_LIMIT_PER_MINUTE = 600;

  @Type(() => Number)
  @IsInt({ message: 'AI_MAX_INPUT_CHARS must be an integer' })
  @Min(100, { message: 'AI_MAX_INPUT_CHARS must be at least 100' })
  AI_MAX_INPUT_CHARS = 32_000;

  @Type(() => Number)
  @IsInt({ message: 'AI_MAX_OUTPUT_TOKENS must be an integer' })
  @Min(1, { message: 'AI_MAX_OUTPUT_TOKENS must be at least 1' })
  AI_MAX_OUTPUT_TOKENS = 1024;

  // --- payments (src/features/payments; README "Payments"): Stripe ---
  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    {
      message:
        "STRIPE_API_BASE must be an http(s) URL such as http://127.0.0.1:12111, or be left unset for Stripe's API",
    },
  )
  STRIPE_API_BASE?: string;

  @IsOptional()
  @Matches(/^(sk|rk)_(test|live)_\S+$/, {
    message: 'STRIPE_SECRET_KEY must be a Stripe secret key (sk_test_..., sk_live_...) or restricted key (rk_...)',
  })
  STRIPE_SECRET_KEY?: string;

  @IsOptional()
  @Matches(/^whsec_\S+$/, {
    message: 'STRIPE_WEBHOOK_SECRET must be the signing secret of the webhook endpoint (whsec_...)',
  })
  STRIPE_WEBHOOK_SECRET?: string;

  @Type(() => Number)
  @IsInt({ message: 'STRIPE_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'STRIPE_TIMEOUT_MS must be at least 100' })
  STRIPE_TIMEOUT_MS = 20_000;

  @Type(() => Number)
  @IsInt({ message: 'STRIPE_WEBHOOK_TOLERANCE_S must be an integer number of seconds' })
  @Min(1, { message: 'STRIPE_WEBHOOK_TOLERANCE_S must be at least 1' })
  @Max(3600, { message: 'STRIPE_WEBHOOK_TOLERANCE_S must be at most 3600' })
  STRIPE_WEBHOOK_TOLERANCE_S = 300;

  /** Read when the payments module loads (a decorator argument); validated here. Default every minute. */
  @IsOptional()
  @Matches(/^\S+( \S+){4,5}$/, {
    message: 'PAYMENTS_RECONCILE_CRON must be a cron expression of 5 or 6 fields, e.g. 0 * * * * *',
  })
  PAYMENTS_RECONCILE_CRON?: string;

  @Type(() => Number)
  @IsInt({ message: 'PAYMENTS_RECONCILE_AFTER_MS must be an integer number of milliseconds' })
  @Min(1000, { message: 'PAYMENTS_RECONCILE_AFTER_MS must be at least 1000' })
  PAYMENTS_RECONCILE_AFTER_MS = 600_000;

  // --- crypto (src/features/crypto; README "Crypto"): EVM deposits, Coinbase-compatible price feed ---
  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    {
      message:
        'CRYPTO_RPC_URL must be the http(s) URL of an EVM JSON-RPC node, e.g. https://eth-mainnet.example/v2/KEY',
    },
  )
  CRYPTO_RPC_URL?: string;

  @IsOptional()
  @Matches(/^[xt]pub[1-9A-HJ-NP-Za-km-z]{100,112}$/, {
    message:
      "CRYPTO_XPUB must be a BIP-32 extended public key (xpub..., e.g. the account key m/44'/60'/0'); never a private key",
  })
  CRYPTO_XPUB?: string;

  @IsOptional()
  @Matches(/^0x[0-9a-fA-F]{40}$/, {
    message: 'CRYPTO_USDC_ADDRESS must be the 0x-prefixed address of the USDC (ERC-20) contract',
  })
  CRYPTO_USDC_ADDRESS?: string;

  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    {
      message:
        'CRYPTO_PRICE_FEED_URL must be the http(s) base URL of a Coinbase-compatible price API, e.g. https://api.coinbase.com',
    },
  )
  CRYPTO_PRICE_FEED_URL?: string;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_CONFIRMATIONS must be an integer number of blocks' })
  @Min(1, { message: 'CRYPTO_CONFIRMATIONS must be at least 1' })
  @Max(1000, { message: 'CRYPTO_CONFIRMATIONS must be at most 1000' })
  CRYPTO_CONFIRMATIONS = 12;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_REORG_DEPTH must be an integer number of blocks (at least CRYPTO_CONFIRMATIONS)' })
  @Min(1, { message: 'CRYPTO_REORG_DEPTH must be at least 1' })
  @Max(10_000, { message: 'CRYPTO_REORG_DEPTH must be at most 10000' })
  CRYPTO_REORG_DEPTH = 64;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_QUOTE_TTL_MS must be an integer number of milliseconds' })
  @Min(1000, { message: 'CRYPTO_QUOTE_TTL_MS must be at least 1000' })
  CRYPTO_QUOTE_TTL_MS = 60_000;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_DEPOSIT_TTL_MS must be an integer number of milliseconds' })
  @Min(1000, { message: 'CRYPTO_DEPOSIT_TTL_MS must be at least 1000' })
  CRYPTO_DEPOSIT_TTL_MS = 3_600_000;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_PRICE_CACHE_TTL_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'CRYPTO_PRICE_CACHE_TTL_MS must be at least 100' })
  CRYPTO_PRICE_CACHE_TTL_MS = 10_000;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_PRICE_MAX_STALE_MS must be an integer number of milliseconds' })
  @Min(0, { message: 'CRYPTO_PRICE_MAX_STALE_MS must be 0 or more' })
  CRYPTO_PRICE_MAX_STALE_MS = 300_000;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_PRICE_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'CRYPTO_PRICE_TIMEOUT_MS must be at least 100' })
  CRYPTO_PRICE_TIMEOUT_MS = 3_000;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_RPC_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'CRYPTO_RPC_TIMEOUT_MS must be at least 100' })
  CRYPTO_RPC_TIMEOUT_MS = 10_000;

  /** Read when the crypto module loads (a decorator argument); validated here. Default every 5 seconds. */
  @IsOptional()
  @Matches(/^\S+( \S+){4,5}$/, {
    message: 'CRYPTO_FOLLOW_CRON must be a cron expression of 5 or 6 fields, e.g. */5 * * * * *',
  })
  CRYPTO_FOLLOW_CRON?: string;

  @Type(() => Number)
  @IsInt({ message: 'CRYPTO_FOLLOW_MAX_BLOCKS must be an integer number of blocks' })
  @Min(1, { message: 'CRYPTO_FOLLOW_MAX_BLOCKS must be at least 1' })
  @Max(10_000, { message: 'CRYPTO_FOLLOW_MAX_BLOCKS must be at most 10000' })
  CRYPTO_FOLLOW_MAX_BLOCKS = 100;

  // --- messaging (src/features/messaging; README "Messaging"): notifications to a Discord incoming webhook ---
  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    {
      message:
        'DISCORD_WEBHOOK_URL must be the http(s) URL of a Discord incoming webhook, e.g. https://discord.com/api/webhooks/<id>/<token>',
    },
  )
  DISCORD_WEBHOOK_URL?: string;

  @Type(() => Number)
  @IsInt({ message: 'DISCORD_TIMEOUT_MS must be an integer number of milliseconds' })
  @Min(100, { message: 'DISCORD_TIMEOUT_MS must be at least 100' })
  DISCORD_TIMEOUT_MS = 10_000;

  @Type(() => Number)
  @IsInt({ message: 'DISCORD_MAX_WAIT_MS must be an integer number of milliseconds' })
  @Min(0, { message: 'DISCORD_MAX_WAIT_MS must be 0 or more' })
  DISCORD_MAX_WAIT_MS = 30_000;
}
