export { LoggingModule, createAppLogger } from './logging.module.js';
export { loggerParams, REDACT_PATHS, safeUrl } from './logger-params.js';
