import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';
import type { AppConfig } from '../../config/index.js';

const QUIET = /^\/(health\/|metrics(\/|$|\?))/;
const SECRET_PARAM = /^(access_?token|token|id_token|key|api_?key|secret|password|signature|code)$/i;

const SECRET_KEYS = [
  'authorization',
  'password',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'privateKey',
  'mnemonic',
  'xpub',
];

/** Anything that can carry a credential: at the top of a logged object, one level down, and in headers. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`]),
];

/** Decodes a query parameter name; a malformed escape (`?%`, `?%zz=1`) is matched as sent. */
function paramName(pair: string): string {
  const name = pair.split('=')[0] ?? '';
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** The URL with the values of credential-like query parameters replaced. */
export function safeUrl(url: string | undefined): string {
  if (!url || !url.includes('?')) return url ?? '';
  const [path, query] = url.split('?', 2);
  const params = query
    .split('&')
    .map((pair) => (SECRET_PARAM.test(paramName(pair)) ? `${pair.split('=')[0]}=[redacted]` : pair));
  return `${path}?${params.join('&')}`;
}

/**
 * pino(-http) settings: JSON lines at LOG_LEVEL, each request line and every line logged while handling
 * it carrying `correlationId` (= request.id = x-request-id); no headers logged, credentials redacted.
 */
export function loggerParams(config: Pick<AppConfig, 'LOG_LEVEL' | 'APP_ROLE'>): Params {
  return {
    // nestjs-pino's default route pattern only matches "/" under @nestjs/platform-fastify 12; this matches all.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.LOG_LEVEL,
      base: { service: 'keel', role: config.APP_ROLE, pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Fastify already chose the id (see correlationIdOf); middie copies it onto the raw request.
      customAttributeKeys: { reqId: 'correlationId' },
      quietReqLogger: true,
      autoLogging: {
        ignore: (req: IncomingMessage) => QUIET.test(req.url ?? ''),
      },
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      // For a plain 5xx pino-http invents an Error whose stack points into itself; the real error is logged
      // where it happened (the exception filter), so keep the request line short.
      customErrorObject: (_req: IncomingMessage, _res: ServerResponse, err: Error, val: Record<string, unknown>) =>
        err.message.startsWith('failed with status code') ? { res: val.res, responseTime: val.responseTime } : val,
      serializers: {
        req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
          method: req.method,
          url: safeUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
