import { Injectable } from '@nestjs/common';
import { AppConfig, BootError, roleRuns } from '../../config/index.js';

/** The event bus's view of the configuration, parsed once (see docs/events.md for every knob). */
@Injectable()
export class EventsSettings {
  readonly runsWorkers: boolean;
  private readonly overrides: Record<string, number>;

  constructor(readonly config: AppConfig) {
    this.runsWorkers = roleRuns(config.APP_ROLE).workers;
    this.overrides = parseOverrides(config.EVENTS_CONCURRENCY_OVERRIDES);
  }

  concurrencyOf(subscriber: string): number {
    return this.overrides[subscriber] ?? this.config.EVENTS_CONCURRENCY;
  }

  /** Subscribers named in EVENTS_CONCURRENCY_OVERRIDES, so startup can reject unknown names. */
  overriddenSubscribers(): string[] {
    return Object.keys(this.overrides);
  }
}

function parseOverrides(raw: string | undefined): Record<string, number> {
  if (!raw) return {};
  const fail = (why: string) =>
    new BootError(`EVENTS_CONCURRENCY_OVERRIDES ${why}; expected e.g. {"messaging.notifications":8}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail('is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('must be a JSON object');
  for (const [name, value] of Object.entries(parsed)) {
    if (!Number.isInteger(value) || (value as number) < 1)
      throw fail(`has a bad value for "${name}" (a positive integer)`);
  }
  return parsed as Record<string, number>;
}
