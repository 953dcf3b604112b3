import { HDKey } from '@scure/bip32';

// BIP-32 version bytes: mainnet xpub/xprv (the library's default) and testnet tpub/tprv.
const TESTNET = { private: 0x04358394, public: 0x043587cf };

/** secp256k1's field prime; y² = x³ + 7 over it. */
const P = 2n ** 256n - 2n ** 32n - 977n;

/**
 * The deposit keys of one extended public key. Only public derivation is possible: the service never
 * holds a private key, and refuses an extended private key outright.
 * Deposit `i` is the non-hardened child `0/i` of the key (the external chain of a BIP-44 account key
 * such as m/44'/60'/0').
 */
export class ExtendedPublicKey {
  private readonly external: HDKey;

  private constructor(key: HDKey) {
    this.external = key.deriveChild(0);
  }

  /** Throws a message naming the problem (never the key) when `xpub` is not a usable extended public key. */
  static parse(xpub: string): ExtendedPublicKey {
    let key: HDKey;
    try {
      key = HDKey.fromExtendedKey(xpub, xpub.startsWith('t') ? TESTNET : undefined);
    } catch (err) {
      throw new Error(`not a valid BIP-32 extended public key (${(err as Error).message})`);
    }
    if (key.privateKey)
      throw new Error('an extended PRIVATE key was given; configure the extended public key (xpub) only');
    return new ExtendedPublicKey(key);
  }

  /** The uncompressed (65-byte, 0x04-prefixed) public key of deposit `index`. */
  publicKeyAt(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** 31)
      throw new RangeError(`derivation index ${index} is out of range`);
    const compressed = this.external.deriveChild(index).publicKey;
    if (!compressed) throw new Error('derivation produced no public key');
    return decompress(compressed);
  }
}

/**
 * Hand-written because neither installed SDK exposes it (BIP-32 keys are compressed, viem's
 * publicKeyToAddress needs both coordinates): y = (x³ + 7)^((p + 1) / 4) mod p, the root with the
 * parity the prefix names (p ≡ 3 mod 4, so this is the square root).
 */
function decompress(compressed: Uint8Array): Uint8Array {
  if (compressed.length !== 33 || (compressed[0] !== 2 && compressed[0] !== 3))
    throw new Error('not a compressed secp256k1 key');
  const x = BigInt(`0x${Buffer.from(compressed.subarray(1)).toString('hex')}`);
  const rhs = (modPow(x, 3n, P) + 7n) % P;
  let y = modPow(rhs, (P + 1n) / 4n, P);
  if ((y * y) % P !== rhs) throw new Error('the key is not on secp256k1');
  if ((y & 1n) !== BigInt(compressed[0]! & 1)) y = P - y;
  const out = new Uint8Array(65);
  out[0] = 4;
  out.set(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'), 1);
  out.set(Buffer.from(y.toString(16).padStart(64, '0'), 'hex'), 33);
  return out;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}
