import { Body, Controller, Get, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, ParseObjectIdPipe, type AuthUser } from '../../platform/http/index.js';
import { ChainConfiguredGuard, PriceFeedConfiguredGuard } from './crypto-configured.guards.js';
import { CryptoService } from './crypto.service.js';
import { CreateDepositDto } from './dto/create-deposit.dto.js';
import { CreateQuoteDto } from './dto/create-quote.dto.js';
import { DepositDto, DepositPageDto } from './dto/deposit.dto.js';
import { ListDepositsQuery } from './dto/list-deposits.query.js';
import { QuoteDto } from './dto/quote.dto.js';

@ApiTags('crypto')
@Controller()
export class CryptoController {
  constructor(private readonly crypto: CryptoService) {}

  @Post('quotes')
  @UseGuards(PriceFeedConfiguredGuard)
  @ApiOperation({
    summary: 'Price a fiat amount in ETH or USDC',
    description:
      'The rate comes from the price feed through a short shared cache; while the feed is down a recent cached rate is used ' +
      '(see rateAt), then 503. Open a deposit with the quote before expiresAt.',
  })
  @ApiCreatedResponse({ type: QuoteDto })
  quote(@CurrentUser() user: AuthUser, @Body() dto: CreateQuoteDto): Promise<QuoteDto> {
    return this.crypto.quote(user, dto);
  }

  @Post('deposits')
  @UseGuards(ChainConfiguredGuard)
  @ApiOperation({
    summary: 'Open a deposit for a quote: a fresh address to pay to',
    description:
      '404 for an unknown (or someone else’s) quote, 409 when the quote already has a deposit, 422 when it expired.',
  })
  @ApiCreatedResponse({ type: DepositDto })
  @ApiNotFoundResponse({
    description: 'No such quote, or it belongs to another user.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
  })
  deposit(@CurrentUser() user: AuthUser, @Body() dto: CreateDepositDto): Promise<DepositDto> {
    return this.crypto.deposit(user, dto);
  }

  @Get('deposits')
  @UseGuards(ChainConfiguredGuard)
  @ApiOperation({ summary: "The caller's deposits, newest first" })
  @ApiOkResponse({ type: DepositPageDto })
  list(@CurrentUser() user: AuthUser, @Query() query: ListDepositsQuery): Promise<DepositPageDto> {
    return this.crypto.list(user, query);
  }

  @Get('deposits/:id')
  @UseGuards(ChainConfiguredGuard)
  @ApiOperation({ summary: 'One of the caller’s deposits: status, amount received, confirmations' })
  @ApiOkResponse({ type: DepositDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<DepositDto> {
    return this.crypto.get(user, id);
  }
}
