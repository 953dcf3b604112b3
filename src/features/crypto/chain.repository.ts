import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model } from 'mongoose';
import type { BlockHeader } from './chain-gateway.js';
import { CHAIN_BLOCK_MODEL, CRYPTO_STATE_MODEL, type ChainBlock, type CryptoState } from './schemas/chain.schema.js';

const CURSOR = 'follower.cursor';
const DEPOSIT_INDEX = 'deposit.index';

/** The follower's memory of the chain (cursor and recent block hashes) and the deposit index counter. */
@Injectable()
export class ChainRepository {
  constructor(
    @InjectModel(CHAIN_BLOCK_MODEL) private readonly blocks: Model<ChainBlock>,
    @InjectModel(CRYPTO_STATE_MODEL) private readonly state: Model<CryptoState>,
  ) {}

  /** The last processed block, or undefined before the first tick. */
  async cursor(): Promise<number | undefined> {
    return (await this.state.findById(CURSOR).lean().exec())?.value;
  }

  /** Creates the cursor if no tick did yet (a concurrent tick's value wins). */
  async initCursor(value: number): Promise<void> {
    await this.state
      .updateOne({ _id: CURSOR }, { $setOnInsert: { value } }, { upsert: true })
      .exec()
      .catch(ignoreDuplicate);
  }

  /** Moves the cursor from `from` to `to`; false when another run moved it meanwhile (its work wins). */
  async moveCursor(from: number, to: number, session: ClientSession): Promise<boolean> {
    const res = await this.state.updateOne({ _id: CURSOR, value: from }, { $set: { value: to } }, { session }).exec();
    return res.matchedCount === 1;
  }

  /** The recorded block at `number`. */
  block(number: number): Promise<ChainBlock | null> {
    return this.blocks.findById(number).lean<ChainBlock>().exec();
  }

  /** Recorded blocks at or below `number`, newest first. */
  blocksDownFrom(number: number, limit: number): Promise<ChainBlock[]> {
    return this.blocks
      .find({ _id: { $lte: number } })
      .sort({ _id: -1 })
      .limit(limit)
      .lean<ChainBlock[]>()
      .exec();
  }

  async record(headers: BlockHeader[], keepFrom: number, session: ClientSession): Promise<void> {
    if (headers.length > 0) {
      await this.blocks.bulkWrite(
        headers.map((h) => ({
          replaceOne: {
            filter: { _id: h.number },
            replacement: { _id: h.number, hash: h.hash, parentHash: h.parentHash, timestamp: h.timestamp },
            upsert: true,
          },
        })),
        { session },
      );
    }
    await this.blocks.deleteMany({ _id: { $lt: keepFrom } }, { session }).exec();
  }

  /** Forgets recorded blocks above `number` (orphaned by a reorganisation). */
  async forgetAbove(number: number, session: ClientSession): Promise<void> {
    await this.blocks.deleteMany({ _id: { $gt: number } }, { session }).exec();
  }

  /**
   * The next deposit's derivation index. One atomic $inc outside the deposit's transaction, so concurrent
   * deposits never serialise on this document; an index whose deposit then fails is simply never used.
   */
  async nextDepositIndex(): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await this.state
          .findOneAndUpdate({ _id: DEPOSIT_INDEX }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' })
          .lean<CryptoState>()
          .exec();
        return doc!.value - 1;
      } catch (err) {
        // Two first-ever upserts can race on the insert; the loser retries as an update.
        if (attempt < 3 && (err as { code?: number }).code === 11000) continue;
        throw err;
      }
    }
  }
}

function ignoreDuplicate(err: unknown): void {
  if ((err as { code?: number }).code !== 11000) throw err;
}
