import { ApiProperty } from '@nestjs/swagger';
import { ASSETS, type Asset } from '../crypto.settings.js';

export class QuoteDto {
  @ApiProperty({ example: '66b0c0ffee0000000000cafe' }) id: string;
  @ApiProperty({ enum: ASSETS }) asset: Asset;
  @ApiProperty({ example: '100.00' }) fiatAmount: string;
  @ApiProperty({ example: 'USD' }) fiatCurrency: string;
  @ApiProperty({ description: 'What to pay, in whole units of the asset (exact decimal string).', example: '0.032045' })
  cryptoAmount: string;
  @ApiProperty({
    description: 'The same in base units (wei for ETH, 10^-6 for USDC), an integer string.',
    example: '32045000000000000',
  })
  cryptoAmountBaseUnits: string;
  @ApiProperty({ description: 'Fiat per whole unit of the asset, as the price feed gave it.', example: '3120.55' })
  rate: string;
  @ApiProperty({
    description: 'When the price feed gave the rate (older than the cache TTL only while the feed is down).',
  })
  rateAt: string;
  @ApiProperty({ description: 'Open a deposit with this quote before then (POST /v1/crypto/deposits).' })
  expiresAt: string;
}
