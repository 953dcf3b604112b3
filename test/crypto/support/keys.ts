import { HDKey } from '@scure/bip32';
import { randomBytes } from 'node:crypto';
import { bytesToHex } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';

/**
 * The merchant's wallet, kept by the test: a random seed, its BIP-44 Ethereum account key m/44'/60'/0',
 * and that key's xpub, the only thing keel is given. The private side proves the addresses are spendable.
 */
export class MerchantWallet {
  private readonly account: HDKey;

  constructor(seed: Uint8Array = randomBytes(32)) {
    this.account = HDKey.fromMasterSeed(seed).derive("m/44'/60'/0'");
  }

  get xpub(): string {
    return this.account.publicExtendedKey;
  }

  /** The extended PRIVATE key: keel must refuse it. */
  get xprv(): string {
    return this.account.privateExtendedKey;
  }

  /** The signer of deposit `index` (path m/44'/60'/0'/0/index). */
  signer(index: number): PrivateKeyAccount {
    const key = this.account.deriveChild(0).deriveChild(index).privateKey!;
    return privateKeyToAccount(bytesToHex(key));
  }
}
