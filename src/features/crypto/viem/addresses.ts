import { bytesToHex, getAddress, isAddress } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';

export type Address = `0x${string}`;

/** The EIP-55 checksummed address of an uncompressed secp256k1 public key. */
export function addressOfPublicKey(uncompressed: Uint8Array): Address {
  return publicKeyToAddress(bytesToHex(uncompressed));
}

/** The checksummed form of an address, or undefined when it is not one. */
export function checksummed(address: string): Address | undefined {
  return isAddress(address, { strict: false }) ? getAddress(address) : undefined;
}
