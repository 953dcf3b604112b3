import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ClientSession, Model } from 'mongoose';
import { OwnedRepository, type OwnedDocument, type Owner } from '../../platform/http/index.js';
import { QUOTE_MODEL, type Quote } from './schemas/quote.schema.js';

export type { Quote } from './schemas/quote.schema.js';
export type QuoteDoc = OwnedDocument<Quote>;

/** Quotes, always scoped to their owner (anyone else's quote does not exist: 404). */
@Injectable()
export class QuotesRepository extends OwnedRepository<Quote> {
  constructor(@InjectModel(QUOTE_MODEL) private readonly quotes: Model<Quote>) {
    super(quotes);
  }

  /** The quote as this transaction sees it. */
  read(owner: Owner, id: string, session: ClientSession): Promise<QuoteDoc | null> {
    return this.quotes
      .findOne(this.scope(owner, { _id: id }))
      .session(session)
      .lean<QuoteDoc>()
      .exec();
  }

  /** Marks the quote as used by `depositId`; null if another deposit took it first. */
  use(owner: Owner, id: string, depositId: string, session: ClientSession): Promise<QuoteDoc | null> {
    return this.quotes
      .findOneAndUpdate(
        this.scope(owner, { _id: id, depositId: { $exists: false } }),
        { $set: { depositId } },
        { returnDocument: 'after', session },
      )
      .lean<QuoteDoc>()
      .exec();
  }
}
