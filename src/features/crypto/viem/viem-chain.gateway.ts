import { Injectable } from '@nestjs/common';
import {
  BaseError,
  BlockNotFoundError,
  createPublicClient,
  http,
  parseAbiItem,
  type Hex,
  type PublicClient,
} from 'viem';
import { ChainGateway, type BlockHeader, type ChainTransfer, type ScannedBlock } from '../chain-gateway.js';
import { CryptoSettings } from '../crypto.settings.js';

const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');
/** Addresses per eth_getLogs topic filter, to keep requests a node accepts. */
const ADDRESSES_PER_QUERY = 500;

/** The EVM node at CRYPTO_RPC_URL, read through viem's public client (no wallet, no keys). */
@Injectable()
export class ViemChainGateway extends ChainGateway {
  private client?: PublicClient;

  constructor(private readonly settings: CryptoSettings) {
    super();
  }

  private get rpc(): PublicClient {
    const url = this.settings.config.CRYPTO_RPC_URL;
    if (!url) throw new Error('CRYPTO_RPC_URL is not set');
    // cacheTime 0: viem otherwise caches eth_blockNumber for its polling interval.
    this.client ??= createPublicClient({
      transport: http(url, { timeout: this.settings.config.CRYPTO_RPC_TIMEOUT_MS, retryCount: 1 }),
      cacheTime: 0,
    });
    return this.client;
  }

  head(): Promise<number> {
    return this.guard('eth_blockNumber', async () => Number(await this.rpc.getBlockNumber({ cacheTime: 0 })));
  }

  header(number: number): Promise<BlockHeader | null> {
    return this.guard('eth_getBlockByNumber', async () => {
      const block = await this.rpc.getBlock({ blockNumber: BigInt(number) }).catch(orNullIfMissing);
      return block ? headerOf(block) : null;
    });
  }

  scanBlock(number: number, watched: ReadonlySet<string>): Promise<ScannedBlock | null> {
    return this.guard('block scan', () => this.scan(number, watched));
  }

  tokenTransfers(token: string, from: number, to: number, watched: readonly string[]): Promise<ChainTransfer[]> {
    return this.guard('eth_getLogs', () => this.logs(token, from, to, watched));
  }

  private async scan(number: number, watched: ReadonlySet<string>): Promise<ScannedBlock | null> {
    const block = await this.rpc
      .getBlock({ blockNumber: BigInt(number), includeTransactions: true })
      .catch(orNullIfMissing);
    if (!block) return null;
    const header = headerOf(block);
    const candidates = block.transactions.filter((tx) => tx.to && tx.value > 0n && watched.has(tx.to.toLowerCase()));
    const transfers: ChainTransfer[] = [];
    for (const tx of candidates) {
      // A transaction can be included and still fail; only a successful one moved the value.
      const receipt = await this.rpc.getTransactionReceipt({ hash: tx.hash });
      if (receipt.status !== 'success' || receipt.blockHash.toLowerCase() !== header.hash) continue;
      transfers.push({
        to: tx.to!.toLowerCase(),
        from: tx.from.toLowerCase(),
        amount: tx.value,
        txHash: tx.hash.toLowerCase(),
        logIndex: -1,
        blockNumber: header.number,
        blockHash: header.hash,
      });
    }
    return { ...header, transfers };
  }

  private async logs(token: string, from: number, to: number, watched: readonly string[]): Promise<ChainTransfer[]> {
    const out: ChainTransfer[] = [];
    for (let i = 0; i < watched.length; i += ADDRESSES_PER_QUERY) {
      const logs = await this.rpc.getLogs({
        address: token as Hex,
        event: TRANSFER,
        args: { to: watched.slice(i, i + ADDRESSES_PER_QUERY) as Hex[] },
        fromBlock: BigInt(from),
        toBlock: BigInt(to),
        strict: true,
      });
      for (const log of logs) {
        if (
          log.removed ||
          log.args.value === 0n ||
          log.blockNumber === null ||
          log.blockHash === null ||
          log.transactionHash === null ||
          log.logIndex === null
        )
          continue;
        out.push({
          token: token.toLowerCase(),
          to: log.args.to.toLowerCase(),
          from: log.args.from.toLowerCase(),
          amount: log.args.value,
          txHash: log.transactionHash.toLowerCase(),
          logIndex: log.logIndex,
          blockNumber: Number(log.blockNumber),
          blockHash: log.blockHash.toLowerCase(),
        });
      }
    }
    return out;
  }

  /** viem's full messages name the node's URL, which often carries an API key: keep only the short message. */
  private async guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const reason = err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err);
      throw new Error(`JSON-RPC ${what} failed: ${reason}`);
    }
  }
}

function orNullIfMissing(err: unknown): null {
  if (err instanceof BlockNotFoundError) return null;
  throw err;
}

function headerOf(block: { number: bigint | null; hash: Hex | null; parentHash: Hex; timestamp: bigint }): BlockHeader {
  if (block.number === null || block.hash === null) throw new Error('the node returned a pending block');
  return {
    number: Number(block.number),
    hash: block.hash.toLowerCase(),
    parentHash: block.parentHash.toLowerCase(),
    timestamp: Number(block.timestamp),
  };
}
