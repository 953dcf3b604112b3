import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A block the follower processed, kept for CRYPTO_REORG_DEPTH blocks to notice reorganisations. */
@Schema({ collection: 'crypto_blocks', versionKey: false })
export class ChainBlock {
  /** The block number. */
  @Prop({ type: Number, required: true })
  _id: number;

  @Prop({ type: String, required: true })
  hash: string;

  @Prop({ type: String, required: true })
  parentHash: string;

  /** Seconds since the epoch. */
  @Prop({ type: Number, required: true })
  timestamp: number;
}

/** Named counters: the follower's cursor (last processed block) and the next deposit index. */
@Schema({ collection: 'crypto_state', versionKey: false })
export class CryptoState {
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ type: Number, required: true })
  value: number;
}

export const CHAIN_BLOCK_MODEL = 'CryptoChainBlock';
export const ChainBlockSchema = SchemaFactory.createForClass(ChainBlock);
export const CRYPTO_STATE_MODEL = 'CryptoState';
export const CryptoStateSchema = SchemaFactory.createForClass(CryptoState);
