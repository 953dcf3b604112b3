import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException, type FieldError } from './problem.js';

/** Flattens class-validator's tree into `{ field: 'items.0.name', message }` entries. */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    for (const [rule, message] of Object.entries(e.constraints ?? {})) {
      out.push({
        field: field || 'body',
        message: describe(rule, field, message),
      });
    }
    if (e.children?.length) out.push(...fieldErrors(e.children, field));
  }
  return out;
}

function describe(rule: string, field: string, message: string): string {
  if (rule === 'whitelistValidation') return 'is not an accepted field';
  if (/unknown value was passed to the validate function/.test(message)) return 'a JSON object is required';
  // class-validator prefixes messages with the property name ("name must be a string"); keep only the rule.
  const property = field.split('.').pop() ?? '';
  return property && message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** The global pipe: strips nothing silently (unknown fields are an error), converts path/query strings. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => ProblemException.validation(fieldErrors(errors)),
  });
}
