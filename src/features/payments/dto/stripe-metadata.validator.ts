import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

export const METADATA_MAX_KEYS = 20;
const KEY = /^[A-Za-z0-9_-]{1,40}$/;

/** What is wrong with a metadata value, or undefined. Stripe's own limits, plus keys keel reserves. */
export function metadataProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'must be an object of string values';
  const entries = Object.entries(value);
  if (entries.length > METADATA_MAX_KEYS) return `must have at most ${METADATA_MAX_KEYS} keys`;
  for (const [key, v] of entries) {
    if (!KEY.test(key)) return `key "${key.slice(0, 50)}" must be 1-40 letters, digits, _ or -`;
    if (key.startsWith('keel_')) return `key "${key}" is reserved (keys starting with keel_ are keel's own)`;
    if (typeof v !== 'string' || v.length > 500) return `value of "${key}" must be a string of at most 500 characters`;
  }
  return undefined;
}

/** Stripe-compatible metadata: a flat object of up to 20 short string values. */
export function IsStripeMetadata(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isStripeMetadata',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => metadataProblem(value) === undefined,
        defaultMessage: (args: ValidationArguments) => metadataProblem(args.value) ?? 'is invalid',
      },
    });
}
