import { Injectable, type CanActivate } from '@nestjs/common';
import { ProblemException } from '../../platform/http/index.js';
import { PaymentsSettings } from './payments.settings.js';

/** The payment routes answer 503 problem+json naming what to set until Stripe is configured. */
@Injectable()
export class StripeConfiguredGuard implements CanActivate {
  constructor(private readonly settings: PaymentsSettings) {}

  canActivate(): boolean {
    const missing = this.settings.missing();
    if (missing.length > 0) throw ProblemException.notConfigured(...missing);
    return true;
  }
}
