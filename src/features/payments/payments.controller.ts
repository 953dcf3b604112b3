import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, ParseObjectIdPipe, type AuthUser } from '../../platform/http/index.js';
import { CreatePaymentDto, CreateRefundDto } from './dto/create-payment.dto.js';
import { ListPaymentsQuery } from './dto/list-payments.query.js';
import { PaymentAcceptedDto, PaymentDto, PaymentPageDto, RefundDto, RefundListDto } from './dto/payment.dto.js';
import { PaymentsService } from './payments.service.js';
import { StripeConfiguredGuard } from './stripe-configured.guard.js';

@ApiTags('payments')
@UseGuards(StripeConfiguredGuard)
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a payment',
    description:
      'Accepted at once; keel then creates the Stripe PaymentIntent. Poll GET /v1/payments/{id} for its status and client secret.',
  })
  @ApiAcceptedResponse({ type: PaymentAcceptedDto })
  create(@CurrentUser() user: AuthUser, @Body() dto: CreatePaymentDto): Promise<PaymentAcceptedDto> {
    return this.payments.create(user, dto);
  }

  @Get()
  @ApiOperation({ summary: "The caller's payments, newest first" })
  @ApiOkResponse({ type: PaymentPageDto })
  list(@CurrentUser() user: AuthUser, @Query() query: ListPaymentsQuery): Promise<PaymentPageDto> {
    return this.payments.list(user, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of the caller’s payments, with its client secret' })
  @ApiOkResponse({ type: PaymentDto })
  get(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<PaymentDto> {
    return this.payments.get(user, id);
  }

  @Post(':id/refunds')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Refund a succeeded payment, fully or partly',
    description: '422 when the amount exceeds what is still refundable. The refund is then made at Stripe.',
  })
  @ApiAcceptedResponse({ type: RefundDto })
  refund(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: CreateRefundDto,
  ): Promise<RefundDto> {
    return this.payments.refund(user, id, dto);
  }

  @Get(':id/refunds')
  @ApiOperation({ summary: 'The refunds of one of the caller’s payments' })
  @ApiOkResponse({ type: RefundListDto })
  async refunds(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<RefundListDto> {
    return { items: await this.payments.refundsOf(user, id) };
  }
}
