export { AppConfig, loadConfig } from './load-config.js';
export { BootError } from './boot-error.js';
export { ConfigModule } from './config.module.js';
export { APP_ROLES, type AppRole } from './env.schema.js';
export { roleRuns, routesFor } from './roles.js';
export { redactUrl } from './redact-url.js';
