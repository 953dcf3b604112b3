import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsStripeMetadata, METADATA_MAX_KEYS } from './stripe-metadata.validator.js';

export const MAX_AMOUNT = 99_999_999;

export class CreatePaymentDto {
  @ApiProperty({
    description: "Amount in the currency's minor unit (cents for usd).",
    minimum: 1,
    maximum: MAX_AMOUNT,
    example: 1999,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_AMOUNT)
  amount: number;

  @ApiProperty({
    description: 'ISO 4217 currency code (any case; stored lower-case).',
    example: 'usd',
    minLength: 3,
    maxLength: 3,
  })
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsString()
  @Matches(/^[a-z]{3}$/, { message: 'must be a three-letter ISO 4217 currency code such as usd' })
  currency: string;

  @ApiProperty({
    description: 'Shown in the Stripe Dashboard and on receipts.',
    minLength: 1,
    maxLength: 1000,
    example: 'Order #1042',
  })
  @IsString()
  @Length(1, 1000)
  description: string;

  @ApiPropertyOptional({
    description: `Up to ${METADATA_MAX_KEYS} keys (1-40 of A-Z a-z 0-9 _ -, not starting with keel_) with string values of up to 500 characters; copied to the PaymentIntent.`,
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 500 },
    example: { orderId: '1042' },
  })
  @IsOptional()
  @IsStripeMetadata()
  metadata?: Record<string, string>;

  @ApiPropertyOptional({
    description:
      'A Stripe PaymentMethod id (pm_...) to confirm the payment with at once, e.g. one collected with Stripe.js. ' +
      'Without it the PaymentIntent waits for the customer to confirm it with the client secret.',
    example: 'pm_card_visa',
  })
  @IsOptional()
  @IsString()
  @Matches(/^pm_[A-Za-z0-9_]{1,250}$/, { message: 'must be a Stripe PaymentMethod id such as pm_1Nx...' })
  paymentMethod?: string;
}

export class CreateRefundDto {
  @ApiPropertyOptional({
    description: 'Minor units to refund; omitted: everything not refunded yet.',
    minimum: 1,
    maximum: MAX_AMOUNT,
    example: 500,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_AMOUNT)
  amount?: number;
}
