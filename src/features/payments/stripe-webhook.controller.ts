import { Controller, Headers, HttpCode, Post, Req, UseGuards, type RawBodyRequest } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../platform/http/index.js';
import { WebhookReceiptDto } from './dto/payment.dto.js';
import { StripeConfiguredGuard } from './stripe-configured.guard.js';
import { StripeWebhooksService } from './stripe-webhooks.service.js';

@ApiTags('payments')
@Public()
@UseGuards(StripeConfiguredGuard)
@Controller('webhooks/stripe')
export class StripeWebhookController {
  constructor(private readonly webhooks: StripeWebhooksService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stripe webhook endpoint',
    description:
      'Called by Stripe, not by clients. The Stripe-Signature header is checked on the raw body with STRIPE_WEBHOOK_SECRET; ' +
      'a bad or stale signature answers 400 and nothing is stored. Events are stored under their Stripe id before the 200.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true, description: "Stripe's t=...,v1=... signature of the body" })
  @ApiOkResponse({ type: WebhookReceiptDto })
  async receive(
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<WebhookReceiptDto> {
    const receipt = await this.webhooks.receive(req.rawBody, signature);
    return { received: true, ...receipt };
  }
}
