import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PAYMENT_STATUSES, type PaymentStatus } from '../payment-status.js';
import { REFUND_STATUSES, type RefundStatus } from '../refund-status.js';

export class PaymentAcceptedDto {
  @ApiProperty({ example: '66b0c0ffee0000000000cafe' }) id: string;
  @ApiProperty({ enum: ['processing'], example: 'processing' }) status: 'processing';
}

export class PaymentFailureDto {
  @ApiPropertyOptional({ example: 'card_declined' }) code?: string;
  @ApiPropertyOptional({ example: 'Your card was declined.' }) message?: string;
}

export class PaymentDto {
  @ApiProperty() id: string;
  @ApiProperty({
    enum: PAYMENT_STATUSES,
    description:
      '`processing` until the PaymentIntent exists, then its status; `failed`, `canceled`, `succeeded` and `refunded` (fully) are final, ' +
      'except that a failed payment can still succeed if the customer retries with the client secret.',
  })
  status: PaymentStatus;
  @ApiProperty({ description: 'Minor units.' }) amount: number;
  @ApiProperty() currency: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata: Record<string, string>;
  @ApiProperty({ description: 'Minor units refunded so far.' }) amountRefunded: number;
  @ApiPropertyOptional({ description: 'Only on GET /v1/payments/{id}: what Stripe.js needs to confirm the payment.' })
  clientSecret?: string;
  @ApiPropertyOptional() stripePaymentIntentId?: string;
  @ApiPropertyOptional({ type: PaymentFailureDto }) failure?: PaymentFailureDto;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class PaymentPageDto {
  @ApiProperty({ type: [PaymentDto] }) items: PaymentDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor: string | null;
}

export class RefundDto {
  @ApiProperty() id: string;
  @ApiProperty() paymentId: string;
  @ApiProperty({ description: 'Minor units.' }) amount: number;
  @ApiProperty() currency: string;
  @ApiProperty({ enum: REFUND_STATUSES, description: '`requested` until Stripe has the refund, then its status.' })
  status: RefundStatus;
  @ApiPropertyOptional() stripeRefundId?: string;
  @ApiPropertyOptional() failureReason?: string;
  @ApiProperty() createdAt: string;
}

export class RefundListDto {
  @ApiProperty({ type: [RefundDto] }) items: RefundDto[];
}

export class WebhookReceiptDto {
  @ApiProperty({ example: true }) received: true;
  @ApiProperty({ example: 'evt_1Nx...' }) id: string;
  @ApiProperty({ description: 'true when this event id was received before (nothing else happened).' })
  duplicate: boolean;
}
