/** A block as the follower records it (numbers are safe integers; hashes and addresses lower-case hex). */
export interface BlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  /** Seconds since the epoch, as the chain stamps it. */
  timestamp: number;
}

/** Value that moved to a watched address: a native transfer (logIndex -1) or an ERC-20 Transfer log. */
export interface ChainTransfer {
  /** The token contract, or undefined for the native asset. */
  token?: string;
  to: string;
  from: string;
  /** Base units. */
  amount: bigint;
  txHash: string;
  logIndex: number;
  blockNumber: number;
  blockHash: string;
}

/** A block with the successful native transfers it carries to any of the watched addresses. */
export interface ScannedBlock extends BlockHeader {
  transfers: ChainTransfer[];
}

/**
 * What the chain follower needs from an EVM node (JSON-RPC); implemented with viem in viem/. Failures
 * (node down, timeouts) reject; the follower simply tries again on its next tick.
 */
export abstract class ChainGateway {
  /** The latest block number. */
  abstract head(): Promise<number>;

  /** The block at `number` on the node's current chain, or null when the chain is shorter. */
  abstract header(number: number): Promise<BlockHeader | null>;

  /** Block `number` with its successful native-value transactions to `watched` (lower-case addresses). */
  abstract scanBlock(number: number, watched: ReadonlySet<string>): Promise<ScannedBlock | null>;

  /** ERC-20 Transfer logs of `token` to any of `watched` in blocks `from`..`to` (inclusive). */
  abstract tokenTransfers(
    token: string,
    from: number,
    to: number,
    watched: readonly string[],
  ): Promise<ChainTransfer[]>;
}
