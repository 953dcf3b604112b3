import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../../platform/database/index.js';
import { ProblemException, type AuthUser } from '../../platform/http/index.js';
import { ChainRepository } from './chain.repository.js';
import { DECIMALS, decodeCursor, encodeCursor, toDepositDto, toQuoteDto } from './crypto.mappers.js';
import { CryptoSettings } from './crypto.settings.js';
import { DepositAddresses } from './deposit-addresses.js';
import { DepositsRepository } from './deposits.repository.js';
import type { CreateDepositDto } from './dto/create-deposit.dto.js';
import type { CreateQuoteDto } from './dto/create-quote.dto.js';
import type { DepositDto, DepositPageDto } from './dto/deposit.dto.js';
import type { ListDepositsQuery } from './dto/list-deposits.query.js';
import type { QuoteDto } from './dto/quote.dto.js';
import { PriceCache } from './price-cache.js';
import { QuotesRepository, type QuoteDoc } from './quotes.repository.js';
import { cryptoForFiat, fractionDigits } from './viem/amounts.js';

/** The crypto API's rules: price a quote, turn a live quote into a deposit with its own address, show deposits. */
@Injectable()
export class CryptoService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly settings: CryptoSettings,
    private readonly prices: PriceCache,
    private readonly quotes: QuotesRepository,
    private readonly deposits: DepositsRepository,
    private readonly chain: ChainRepository,
    private readonly addresses: DepositAddresses,
  ) {}

  async quote(user: AuthUser, dto: CreateQuoteDto): Promise<QuoteDto> {
    const fiatDecimals = currencyDecimals(dto.fiatCurrency);
    if (fractionDigits(dto.fiatAmount) > fiatDecimals) {
      throw ProblemException.validation([
        {
          field: 'fiatAmount',
          message: `has more than ${fiatDecimals} decimal places, the most ${dto.fiatCurrency} has`,
        },
      ]);
    }
    if (/^0(\.0*)?$/.test(dto.fiatAmount))
      throw ProblemException.validation([{ field: 'fiatAmount', message: 'must be more than 0' }]);
    const rate = await this.prices.rate(dto.asset, dto.fiatCurrency);
    const amount = cryptoForFiat(dto.fiatAmount, fiatDecimals, rate.price, DECIMALS[dto.asset]);
    const quote = await this.quotes.create(user, {
      asset: dto.asset,
      fiatAmount: dto.fiatAmount,
      fiatCurrency: dto.fiatCurrency,
      rate: rate.price,
      rateAt: rate.at,
      amount: amount.toString(),
      expiresAt: new Date(Date.now() + this.settings.config.CRYPTO_QUOTE_TTL_MS),
    });
    return toQuoteDto(quote);
  }

  async deposit(user: AuthUser, dto: CreateDepositDto): Promise<DepositDto> {
    // Refuse what can be refused before spending a derivation index on it.
    this.usable(await this.quotes.findById(user, dto.quoteId), dto.quoteId);
    const index = await this.chain.nextDepositIndex();
    const address = this.addresses.addressAt(index).toLowerCase();
    return this.tx.run(async (session) => {
      const quote = this.usable(await this.quotes.read(user, dto.quoteId, session), dto.quoteId);
      const spec = this.settings.spec(quote.asset);
      const deposit = await this.deposits.create(
        user,
        {
          quoteId: dto.quoteId,
          asset: quote.asset,
          ...(spec.token ? { token: spec.token } : {}),
          amount: quote.amount,
          fiatAmount: quote.fiatAmount,
          fiatCurrency: quote.fiatCurrency,
          rate: quote.rate,
          index,
          address,
          status: 'awaiting_payment',
          received: '0',
          payment: 'none',
          confirmations: 0,
          transfers: [],
          expiresAt: new Date(Date.now() + this.settings.config.CRYPTO_DEPOSIT_TTL_MS),
        },
        { session },
      );
      if (!(await this.quotes.use(user, dto.quoteId, deposit._id.toHexString(), session))) throw quoteUsed(dto.quoteId);
      return toDepositDto(deposit, 0, this.settings.confirmations);
    });
  }

  async get(user: AuthUser, id: string): Promise<DepositDto> {
    const deposit = await this.deposits.findById(user, id);
    if (!deposit) throw ProblemException.notFound(`No deposit ${id}.`);
    return toDepositDto(deposit, (await this.chain.cursor()) ?? 0, this.settings.confirmations);
  }

  async list(user: AuthUser, query: ListDepositsQuery): Promise<DepositPageDto> {
    const limit = query.limit ?? 20;
    const beforeId = query.cursor ? decodeCursor(query.cursor) : undefined;
    const page = await this.deposits.page(user, { status: query.status, beforeId, limit: limit + 1 });
    const items = page.slice(0, limit);
    const tip = (await this.chain.cursor()) ?? 0;
    return {
      items: items.map((d) => toDepositDto(d, tip, this.settings.confirmations)),
      nextCursor: page.length > limit ? encodeCursor(items.at(-1)!._id.toHexString()) : null,
    };
  }

  /** The quote if a deposit may be opened with it: the caller's, configured for, unused and live. */
  private usable(quote: QuoteDoc | null, id: string): QuoteDoc {
    if (!quote) throw ProblemException.notFound(`No quote ${id}.`);
    const missing = this.settings.missingForDeposits(quote.asset);
    if (missing.length > 0) throw ProblemException.notConfigured(...missing);
    if (quote.depositId) throw quoteUsed(id, quote.depositId);
    if (quote.expiresAt.getTime() <= Date.now()) {
      throw ProblemException.businessRule(
        'Quote expired',
        `Quote ${id} expired at ${quote.expiresAt.toISOString()}; ask for a new quote.`,
      );
    }
    return quote;
  }
}

function quoteUsed(id: string, depositId?: string): ProblemException {
  return new ProblemException(
    409,
    'Quote already used',
    `Quote ${id} already has a deposit${depositId ? ` (${depositId})` : ''}; ask for a new quote.`,
  );
}

/** The currency's minor-unit digits (2 for USD, 0 for JPY), from the runtime's ISO 4217 data. */
function currencyDecimals(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}
