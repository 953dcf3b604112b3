import { Injectable, type CanActivate } from '@nestjs/common';
import { ProblemException } from '../../platform/http/index.js';
import { CryptoSettings } from './crypto.settings.js';

/** Quotes answer 503 problem+json naming what to set until the price feed is configured. */
@Injectable()
export class PriceFeedConfiguredGuard implements CanActivate {
  constructor(private readonly settings: CryptoSettings) {}

  canActivate(): boolean {
    const missing = this.settings.missingForQuotes();
    if (missing.length > 0) throw ProblemException.notConfigured(...missing);
    return true;
  }
}

/** Deposits answer 503 problem+json naming what to set until the xpub and the node are configured. */
@Injectable()
export class ChainConfiguredGuard implements CanActivate {
  constructor(private readonly settings: CryptoSettings) {}

  canActivate(): boolean {
    const missing = this.settings.missingForDeposits();
    if (missing.length > 0) throw ProblemException.notConfigured(...missing);
    return true;
  }
}
