import { Injectable, Logger } from '@nestjs/common';
import { TransactionRunner } from '../../platform/database/index.js';
import { ChainGateway, type ChainTransfer, type ScannedBlock } from './chain-gateway.js';
import { ChainRepository } from './chain.repository.js';
import { CryptoSettings } from './crypto.settings.js';
import { DepositLedger } from './deposit-ledger.js';
import { DepositsSystemRepository } from './deposits.repository.js';

export interface SyncResult {
  head: number;
  /** The cursor after this pass (last processed block). */
  cursor: number;
  /** Set when a reorganisation was undone: the common ancestor the cursor went back to. */
  rolledBackTo?: number;
  scanned: number;
  counted: number;
  /** Another run (another replica's tick) moved the cursor first; this pass wrote nothing. */
  contended?: boolean;
}

class Contended extends Error {}

/**
 * Follows the chain from the last processed block to the head, at most CRYPTO_FOLLOW_MAX_BLOCKS per pass:
 * notices reorganisations (the recorded tip is no longer on the chain), rolls deposits back to the common
 * ancestor, then scans new blocks for transfers to open deposits and settles them (DepositLedger). Every
 * write of a pass commits in one transaction guarded by the cursor, so concurrent passes (overlapping
 * ticks, replicas) cannot apply a block twice: the loser's transaction aborts.
 */
@Injectable()
export class ChainFollower {
  private readonly logger = new Logger('ChainFollower');
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: CryptoSettings,
    private readonly chain: ChainGateway,
    private readonly repo: ChainRepository,
    private readonly deposits: DepositsSystemRepository,
    private readonly ledger: DepositLedger,
    private readonly tx: TransactionRunner,
  ) {}

  /** One pass, after any pass of this process still running. Undefined when the chain is not configured. */
  sync(signal?: AbortSignal): Promise<SyncResult | undefined> {
    const run = this.tail.then(() => (this.settings.followable ? this.pass(signal) : undefined));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async pass(signal?: AbortSignal): Promise<SyncResult> {
    const head = await this.chain.head();
    let cursor = await this.repo.cursor();
    if (cursor === undefined) {
      // First pass ever: start CRYPTO_REORG_DEPTH blocks back rather than at genesis.
      await this.repo.initCursor(Math.max(-1, head - this.settings.reorgDepth - 1));
      cursor = (await this.repo.cursor())!;
    }
    const result: SyncResult = { head, cursor, scanned: 0, counted: 0 };
    try {
      const ancestor = await this.undoReorg(cursor);
      if (ancestor !== undefined) result.cursor = result.rolledBackTo = cursor = ancestor;
      // Read the watch list after the head: a deposit created later cannot have been paid in a block up to it.
      const watched = await this.deposits.watched();
      const blocks = await this.scan(
        cursor,
        Math.min(head, cursor + this.settings.config.CRYPTO_FOLLOW_MAX_BLOCKS),
        watched,
        signal,
      );
      if (blocks.length === 0) return result;
      const last = blocks.at(-1)!.number;
      const tokens = await this.tokenTransfers(cursor, blocks, watched);
      if (!tokens) return result;
      const settledNumber = last - this.settings.confirmations + 1;
      const settled =
        blocks.find((b) => b.number === settledNumber) ??
        (settledNumber >= 0 ? await this.repo.block(settledNumber) : null);
      const from = cursor;
      result.counted = await this.tx.run(async (session) => {
        if (!(await this.repo.moveCursor(from, last, session))) throw new Contended();
        await this.repo.record(blocks, last - this.settings.reorgDepth + 1, session);
        return this.ledger.apply(
          {
            transfers: [...blocks.flatMap((b) => b.transfers), ...tokens],
            blockTimes: new Map(blocks.map((b) => [b.number, b.timestamp])),
            chain: { tip: last, settledAt: settled ? new Date(settled.timestamp * 1000) : undefined },
          },
          session,
        );
      });
      result.cursor = last;
      result.scanned = blocks.length;
      return result;
    } catch (err) {
      if (err instanceof Contended) return { ...result, contended: true };
      throw err;
    }
  }

  /** If the recorded tip left the chain, finds the common ancestor and rolls back to it; returns it. */
  private async undoReorg(cursor: number): Promise<number | undefined> {
    const recorded = await this.repo.block(cursor);
    if (!recorded) return undefined;
    const current = await this.chain.header(cursor);
    if (current?.hash === recorded.hash) return undefined;
    let ancestor: number | undefined;
    const older = await this.repo.blocksDownFrom(cursor - 1, this.settings.reorgDepth);
    for (const block of older) {
      if ((await this.chain.header(block._id))?.hash === block.hash) {
        ancestor = block._id;
        break;
      }
    }
    if (ancestor === undefined) {
      ancestor = (older.at(-1)?._id ?? cursor) - 1;
      this.logger.error(
        `reorganisation deeper than CRYPTO_REORG_DEPTH (${this.settings.reorgDepth}) at block ${cursor}; rescanning from ${ancestor + 1}`,
      );
    }
    const to = ancestor;
    const undone = await this.tx.run(async (session) => {
      if (!(await this.repo.moveCursor(cursor, to, session))) throw new Contended();
      await this.repo.forgetAbove(to, session);
      return this.ledger.rollback(to, session);
    });
    this.logger.warn(
      `reorganisation: blocks ${to + 1}..${cursor} left the chain; ${undone} deposit(s) rolled back, rescanning`,
    );
    return to;
  }

  /** Blocks after `cursor` up to `to` that extend the recorded chain; stops early at a fork or when aborted. */
  private async scan(
    cursor: number,
    to: number,
    watched: Array<{ address: string; asset: string }>,
    signal?: AbortSignal,
  ): Promise<ScannedBlock[]> {
    const eth = new Set(watched.filter((w) => w.asset === 'ETH').map((w) => w.address));
    let parent = (await this.repo.block(cursor))?.hash;
    const blocks: ScannedBlock[] = [];
    for (let n = cursor + 1; n <= to && !signal?.aborted; n++) {
      const block = await this.chain.scanBlock(n, eth);
      // A fork under our feet (or a shorter chain): keep what extends the recorded chain; the next pass rolls back.
      if (!block || (parent !== undefined && block.parentHash !== parent)) break;
      blocks.push(block);
      parent = block.hash;
    }
    return blocks;
  }

  /** USDC Transfer logs in the scanned range; undefined when the logs came from other blocks than scanned (a fork). */
  private async tokenTransfers(
    cursor: number,
    blocks: ScannedBlock[],
    watched: Array<{ address: string; asset: string }>,
  ): Promise<ChainTransfer[] | undefined> {
    const token = this.settings.spec('USDC').token;
    const addresses = watched.filter((w) => w.asset === 'USDC').map((w) => w.address);
    if (!token || addresses.length === 0) return [];
    const logs = await this.chain.tokenTransfers(token, cursor + 1, blocks.at(-1)!.number, addresses);
    const hashes = new Map(blocks.map((b) => [b.number, b.hash]));
    return logs.every((l) => hashes.get(l.blockNumber) === l.blockHash) ? logs : undefined;
  }
}
