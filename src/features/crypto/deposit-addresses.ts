import { Injectable } from '@nestjs/common';
import { BootError } from '../../config/index.js';
import { ExtendedPublicKey } from './bip32/xpub.js';
import { CryptoSettings } from './crypto.settings.js';
import { addressOfPublicKey, type Address } from './viem/addresses.js';

/** Deposit addresses derived from CRYPTO_XPUB: deposit index i pays to child 0/i. */
@Injectable()
export class DepositAddresses {
  private readonly key?: ExtendedPublicKey;

  constructor(settings: CryptoSettings) {
    const xpub = settings.config.CRYPTO_XPUB;
    if (!xpub) return;
    try {
      this.key = ExtendedPublicKey.parse(xpub);
    } catch (err) {
      throw new BootError(`CRYPTO_XPUB (set, hidden) is unusable: ${(err as Error).message}`);
    }
  }

  /** The checksummed address of deposit `index`. */
  addressAt(index: number): Address {
    if (!this.key) throw new Error('CRYPTO_XPUB is not set');
    return addressOfPublicKey(this.key.publicKeyAt(index));
  }
}
