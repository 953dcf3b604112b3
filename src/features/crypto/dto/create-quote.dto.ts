import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsString, Matches } from 'class-validator';
import { ASSETS, type Asset } from '../crypto.settings.js';

export class CreateQuoteDto {
  @ApiProperty({ enum: ASSETS, example: 'ETH' })
  @IsIn(ASSETS, { message: `must be one of ${ASSETS.join(', ')}` })
  asset: Asset;

  @ApiProperty({
    description:
      'The fiat value to pay, as a decimal string with at most as many decimals as the currency has (2 for USD, 0 for JPY). ' +
      'A string, not a JSON number: amounts are exact.',
    example: '100.00',
  })
  @IsString({ message: 'must be a decimal string such as "100.00" (a string, not a number)' })
  @Matches(/^(0|[1-9]\d{0,11})(\.\d{1,4})?$/, {
    message: 'must be a positive decimal string such as "100.00", below 10^12',
  })
  fiatAmount: string;

  @ApiProperty({
    description: 'ISO 4217 code (any case; used upper-case).',
    example: 'USD',
    minLength: 3,
    maxLength: 3,
  })
  @Transform(({ value }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'must be a three-letter ISO 4217 currency code such as USD' })
  fiatCurrency: string;
}
