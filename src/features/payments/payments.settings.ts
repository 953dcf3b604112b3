import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/index.js';

export const DEFAULT_RECONCILE_CRON = '0 * * * * *';

/**
 * The reconciliation cron's expression. Decorators are evaluated when the module loads, before the
 * validated configuration exists, so this one variable is read from the process environment directly
 * (env.schema.ts validates the same variable at boot).
 */
export function reconcileCronExpression(): string {
  return process.env.PAYMENTS_RECONCILE_CRON?.trim() || DEFAULT_RECONCILE_CRON;
}

/** The payments feature's view of the configuration. */
@Injectable()
export class PaymentsSettings {
  constructor(readonly config: AppConfig) {}

  /** The variables that must be set before the payment routes work; empty when configured. */
  missing(): string[] {
    const required = ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const;
    return required.filter((name) => !this.config[name]);
  }

  get configured(): boolean {
    return this.missing().length === 0;
  }

  get reconcileAfterMs(): number {
    return this.config.PAYMENTS_RECONCILE_AFTER_MS;
  }
}
