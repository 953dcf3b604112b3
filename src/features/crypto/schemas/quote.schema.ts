import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { OwnedFields } from '../../../platform/http/index.js';
import { ASSETS, type Asset } from '../crypto.settings.js';

/** A price promise: `amount` of `asset` for `fiatAmount` until `expiresAt`, usable by one deposit. */
@Schema({ collection: 'crypto_quotes', versionKey: false, timestamps: { createdAt: true, updatedAt: false } })
export class Quote implements OwnedFields {
  @Prop({ type: String, required: true })
  ownerId: string;

  @Prop({ type: String, required: true, enum: ASSETS })
  asset: Asset;

  /** Decimal string in the fiat currency ("100.00"). */
  @Prop({ type: String, required: true })
  fiatAmount: string;

  @Prop({ type: String, required: true })
  fiatCurrency: string;

  /** Fiat per whole unit of the asset, as the feed gave it. */
  @Prop({ type: String, required: true })
  rate: string;

  @Prop({ type: Date, required: true })
  rateAt: Date;

  /** Base units of the asset (wei, or USDC's 6-decimal units), as a decimal integer string. */
  @Prop({ type: String, required: true })
  amount: string;

  @Prop({ type: Date, required: true })
  expiresAt: Date;

  /** Set once a deposit was opened with this quote. */
  @Prop({ type: String })
  depositId?: string;

  createdAt?: Date;
}

export const QUOTE_MODEL = 'CryptoQuote';
export const QuoteSchema = SchemaFactory.createForClass(Quote);
QuoteSchema.index({ ownerId: 1, _id: -1 });
