import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { routesFor, type AppRole } from '../../config/index.js';
import { ChainFollower } from './chain-follower.js';
import { ChainGateway } from './chain-gateway.js';
import { ChainRepository } from './chain.repository.js';
import { CoinbasePriceFeed } from './coinbase/coinbase-price-feed.js';
import { ChainConfiguredGuard, PriceFeedConfiguredGuard } from './crypto-configured.guards.js';
import { CryptoController } from './crypto.controller.js';
import { CryptoHandlers } from './crypto.handlers.js';
import { CryptoService } from './crypto.service.js';
import { CryptoSettings } from './crypto.settings.js';
import { DepositAddresses } from './deposit-addresses.js';
import { DepositLedger } from './deposit-ledger.js';
import { DepositsRepository, DepositsSystemRepository } from './deposits.repository.js';
import { PriceCache } from './price-cache.js';
import { PriceFeed } from './price-feed.js';
import { QuotesRepository } from './quotes.repository.js';
import { CHAIN_BLOCK_MODEL, ChainBlockSchema, CRYPTO_STATE_MODEL, CryptoStateSchema } from './schemas/chain.schema.js';
import { DEPOSIT_MODEL, DepositSchema } from './schemas/deposit.schema.js';
import { QUOTE_MODEL, QuoteSchema } from './schemas/quote.schema.js';
import { ViemChainGateway } from './viem/viem-chain.gateway.js';

/** Crypto quotes and on-chain deposits: /v1/crypto/quotes, /v1/crypto/deposits (README "Crypto"). */
@Module({})
export class CryptoModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: CryptoModule,
      imports: [
        MongooseModule.forFeature([
          { name: QUOTE_MODEL, schema: QuoteSchema },
          { name: DEPOSIT_MODEL, schema: DepositSchema },
          { name: CHAIN_BLOCK_MODEL, schema: ChainBlockSchema },
          { name: CRYPTO_STATE_MODEL, schema: CryptoStateSchema },
        ]),
        RouterModule.register([{ path: 'v1/crypto', module: CryptoModule }]),
      ],
      controllers: routesFor(role, [CryptoController]),
      providers: [
        CryptoSettings,
        PriceFeedConfiguredGuard,
        ChainConfiguredGuard,
        { provide: PriceFeed, useClass: CoinbasePriceFeed },
        { provide: ChainGateway, useClass: ViemChainGateway },
        PriceCache,
        DepositAddresses,
        QuotesRepository,
        DepositsRepository,
        DepositsSystemRepository,
        ChainRepository,
        DepositLedger,
        ChainFollower,
        CryptoService,
        CryptoHandlers,
      ],
    };
  }
}
