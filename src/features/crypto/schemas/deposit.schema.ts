import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { OwnedFields } from '../../../platform/http/index.js';
import { ASSETS, type Asset } from '../crypto.settings.js';
import { DEPOSIT_STATUSES, PAYMENT_KINDS, type DepositStatus, type PaymentKind } from '../deposit-state.js';

/** One on-chain transfer to the deposit's address, as the follower saw it. */
export interface DepositTransfer {
  /** `<txHash>:<logIndex>` (logIndex -1 for a native transfer): unique per transfer. */
  id: string;
  txHash: string;
  logIndex: number;
  from: string;
  /** Base units, decimal integer string. */
  amount: string;
  blockNumber: number;
  blockHash: string;
  /** The block's time. */
  at: Date;
  /** In a block stamped after the deposit expired: recorded, not counted. */
  late: boolean;
}

@Schema({ collection: 'crypto_deposits', versionKey: false, timestamps: true })
export class Deposit implements OwnedFields {
  @Prop({ type: String, required: true })
  ownerId: string;

  @Prop({ type: String, required: true })
  quoteId: string;

  @Prop({ type: String, required: true, enum: ASSETS })
  asset: Asset;

  /** The ERC-20 contract, for tokens (lower-case). */
  @Prop({ type: String })
  token?: string;

  /** Base units expected. */
  @Prop({ type: String, required: true })
  amount: string;

  @Prop({ type: String, required: true })
  fiatAmount: string;

  @Prop({ type: String, required: true })
  fiatCurrency: string;

  @Prop({ type: String, required: true })
  rate: string;

  /** BIP-32 child index under the configured xpub's external chain (0/index). */
  @Prop({ type: Number, required: true })
  index: number;

  /** Lower-case; shown checksummed. */
  @Prop({ type: String, required: true })
  address: string;

  @Prop({ type: String, required: true, enum: DEPOSIT_STATUSES })
  status: DepositStatus;

  /** Base units counted so far (transfers before the deadline). */
  @Prop({ type: String, required: true })
  received: string;

  @Prop({ type: String, required: true, enum: PAYMENT_KINDS })
  payment: PaymentKind;

  @Prop({ type: Number, required: true })
  confirmations: number;

  @Prop({ type: [Object], default: [] })
  transfers: DepositTransfer[];

  @Prop({ type: Date, required: true })
  expiresAt: Date;

  @Prop({ type: Date })
  confirmedAt?: Date;

  @Prop({ type: Date })
  expiredAt?: Date;

  createdAt?: Date;
  updatedAt?: Date;
}

export const DEPOSIT_MODEL = 'CryptoDeposit';
export const DepositSchema = SchemaFactory.createForClass(Deposit);
DepositSchema.index({ address: 1 }, { unique: true });
DepositSchema.index({ index: 1 }, { unique: true });
DepositSchema.index({ quoteId: 1 }, { unique: true });
DepositSchema.index({ ownerId: 1, _id: -1 });
DepositSchema.index({ status: 1 });
