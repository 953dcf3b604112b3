import fc from 'fast-check';
import { HDKey } from '@scure/bip32';
import { bytesToHex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { ExtendedPublicKey } from '../../src/features/crypto/bip32/xpub.js';
import { addressOfPublicKey } from '../../src/features/crypto/viem/addresses.js';
import { cryptoForFiat, fromBaseUnits, toBaseUnits } from '../../src/features/crypto/viem/amounts.js';

const decimalString = (units: bigint, places: number) =>
  places === 0 ? units.toString() : fromBaseUnits(units, places);

describe('crypto amounts: exact integer arithmetic', () => {
  it('prices a fiat amount in the fewest base units worth at least that much, for any amount and price', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 14n }),
        fc.constantFrom(0, 2, 3),
        fc.bigInt({ min: 1n, max: 10n ** 16n }),
        fc.integer({ min: 0, max: 8 }),
        fc.constantFrom(6, 18),
        (fiatUnits, fd, priceUnits, pd, decimals) => {
          const units = cryptoForFiat(decimalString(fiatUnits, fd), fd, decimalString(priceUnits, pd), decimals);
          const owed = fiatUnits * 10n ** BigInt(pd + decimals);
          const paid = (u: bigint) => u * priceUnits * 10n ** BigInt(fd);
          expect(paid(units) >= owed).toBe(true);
          expect(paid(units - 1n) < owed).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips decimal strings and refuses more places than the unit has', () => {
    expect(toBaseUnits('3120.55', 2)).toBe(312055n);
    expect(toBaseUnits('0.000001', 6)).toBe(1n);
    expect(fromBaseUnits(32045000000000000n, 18)).toBe('0.032045');
    expect(fromBaseUnits(50010003n, 6)).toBe('50.010003');
    expect(() => toBaseUnits('1.001', 2)).toThrow(RangeError);
    expect(() => toBaseUnits('1e5', 2)).toThrow(RangeError);
    expect(() => cryptoForFiat('10', 2, '0', 18)).toThrow(RangeError);
    // 1 USD at 3 USD/ETH is 1/3 ETH: rounded up in the last wei, never a float's 0.33333333333333331.
    expect(cryptoForFiat('1', 2, '3', 18)).toBe(333333333333333334n);
  });
});

describe('deposit addresses from an xpub', () => {
  it("match the addresses of the privately derived keys (m/44'/60'/0'/0/i) for random seeds and indices", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (seed, index) => {
          const account = HDKey.fromMasterSeed(seed).derive("m/44'/60'/0'");
          const fromXpub = addressOfPublicKey(ExtendedPublicKey.parse(account.publicExtendedKey).publicKeyAt(index));
          const fromPrivate = privateKeyToAddress(bytesToHex(account.deriveChild(0).deriveChild(index).privateKey!));
          expect(fromXpub).toBe(fromPrivate);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses extended private keys and garbage, without echoing them', () => {
    const account = HDKey.fromMasterSeed(new Uint8Array(32).fill(7)).derive("m/44'/60'/0'");
    expect(() => ExtendedPublicKey.parse(account.privateExtendedKey)).toThrow(/PRIVATE/);
    expect(() => ExtendedPublicKey.parse('xpub123')).toThrow(/not a valid BIP-32 extended public key/);
    try {
      ExtendedPublicKey.parse(account.privateExtendedKey);
    } catch (err) {
      expect((err as Error).message).not.toContain(account.privateExtendedKey);
    }
    expect(() => ExtendedPublicKey.parse(account.publicExtendedKey).publicKeyAt(2 ** 31)).toThrow(RangeError);
  });
});
