import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { EnvironmentVariables } from './env.schema.js';
import { BootError } from './boot-error.js';
import { redactUrl } from './redact-url.js';

/** Injection token and type of the validated configuration. */
export const AppConfig = EnvironmentVariables;
export type AppConfig = EnvironmentVariables;

const SECRET = /SECRET|KEY|TOKEN|PASSWORD|XPUB|WEBHOOK/i;

function describe(errors: ValidationError[], raw: Record<string, string>): string[] {
  return errors.map((e) => {
    const value = raw[e.property];
    const shown =
      value === undefined ? 'unset' : SECRET.test(e.property) ? 'set, hidden' : JSON.stringify(redactUrl(value));
    return `  - ${e.property} (${shown}): ${Object.values(e.constraints ?? {}).join('; ')}`;
  });
}

/** Every variable declared in EnvironmentVariables, including optional ones without a default. */
export function knownVariables(): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(EnvironmentVariables, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

/** Reads and validates the environment; throws one BootError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of knownVariables()) {
    const value = env[key]?.trim();
    if (value) raw[key] = value;
  }
  const config = plainToInstance(EnvironmentVariables, raw, { exposeDefaultValues: true });
  const problems = describe(validateSync(config, { stopAtFirstError: true }), raw);
  if (problems.length > 0) {
    throw new BootError(
      `Invalid configuration (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.join('\n')}\n` +
        'Fix the variables above (see .env.example for every variable and its default) and start again.',
    );
  }
  return Object.freeze(config);
}
