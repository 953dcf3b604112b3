import {
  createPublicClient,
  createWalletClient,
  http,
  type Abi,
  type Address,
  type Hash,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { hardhat } from 'viem/chains';
import { HardhatNode } from './hardhat-node.js';
import { compileTestUsdc } from './test-token.js';

export interface Sent {
  hash: Hash;
  blockNumber: number;
}

/**
 * A Hardhat node with TestUSDC deployed, driven through viem exactly as a wallet would: payers are the
 * node's unlocked accounts 1..4 (account 0 deployed the token and holds its supply until it funds them).
 */
export class TestChain {
  private constructor(
    readonly node: HardhatNode,
    readonly client: PublicClient,
    readonly wallet: WalletClient,
    readonly accounts: Address[],
    readonly usdc: Address,
    private readonly abi: Abi,
  ) {}

  static async start(): Promise<TestChain> {
    const node = await HardhatNode.start();
    try {
      const transport = http(node.url, { timeout: 10_000 });
      const client = createPublicClient({ chain: hardhat, transport, cacheTime: 0 });
      const wallet = createWalletClient({ chain: hardhat, transport });
      const accounts = await wallet.getAddresses();
      const { abi, bytecode } = compileTestUsdc();
      const deploy = await wallet.deployContract({
        abi,
        bytecode,
        account: accounts[0]!,
        chain: hardhat,
        args: [10n ** 15n],
      });
      const receipt = await client.waitForTransactionReceipt({ hash: deploy });
      if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error('TestUSDC deployment failed');
      const chain = new TestChain(node, client, wallet, accounts, receipt.contractAddress, abi);
      for (const payer of accounts.slice(1)) await chain.sendUsdc(payer, 10n ** 12n, accounts[0]);
      return chain;
    } catch (err) {
      await node.stop();
      throw err;
    }
  }

  get url(): string {
    return this.node.url;
  }

  /** A plain ETH transfer (mined at once: automine). */
  async sendEth(to: string, wei: bigint, from: Address = this.accounts[1]!): Promise<Sent> {
    const hash = await this.wallet.sendTransaction({ account: from, chain: hardhat, to: to as Address, value: wei });
    return this.mined(hash);
  }

  /** An ERC-20 transfer of TestUSDC base units (6 decimals), through the deployed contract. */
  async sendUsdc(to: string, units: bigint, from: Address = this.accounts[1]!): Promise<Sent> {
    const hash = await this.wallet.writeContract({
      address: this.usdc,
      abi: this.abi,
      functionName: 'transfer',
      args: [to as Address, units],
      account: from,
      chain: hardhat,
    });
    return this.mined(hash);
  }

  async usdcBalance(of: string): Promise<bigint> {
    return (await this.client.readContract({
      address: this.usdc,
      abi: this.abi,
      functionName: 'balanceOf',
      args: [of as Address],
    })) as bigint;
  }

  private async mined(hash: Hash): Promise<Sent> {
    const receipt = await this.client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== 'success') throw new Error(`transaction ${hash} failed`);
    return { hash, blockNumber: Number(receipt.blockNumber) };
  }

  stop(): Promise<void> {
    return this.node.stop();
  }
}
