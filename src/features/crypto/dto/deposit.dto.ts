import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ASSETS, type Asset } from '../crypto.settings.js';
import { DEPOSIT_STATUSES, PAYMENT_KINDS, type DepositStatus, type PaymentKind } from '../deposit-state.js';

export class DepositTransferDto {
  @ApiProperty() txHash: string;
  @ApiProperty({ description: 'The ERC-20 log index; -1 for a native ETH transfer.' }) logIndex: number;
  @ApiProperty() from: string;
  @ApiProperty({ description: 'Whole units of the asset.' }) amount: string;
  @ApiProperty() blockNumber: number;
  @ApiProperty() confirmations: number;
  @ApiProperty({ description: 'Sent after the deposit expired: recorded, not counted.' }) late: boolean;
}

export class DepositDto {
  @ApiProperty({ example: '66b0c0ffee0000000000cafe' }) id: string;
  @ApiProperty() quoteId: string;
  @ApiProperty({
    description: 'Send the asset here (EIP-55 checksummed). Unique to this deposit.',
    example: '0x3f5CE5FBFe3E9af3971dD833D26bA9b5C936f0bE',
  })
  address: string;
  @ApiProperty({ enum: ASSETS }) asset: Asset;
  @ApiPropertyOptional({ description: 'For USDC: the ERC-20 contract to transfer from.' }) tokenAddress?: string;
  @ApiProperty({
    description: 'What to send, in whole units of the asset (exact decimal string).',
    example: '0.032045',
  })
  amount: string;
  @ApiProperty({
    enum: DEPOSIT_STATUSES,
    description:
      '`awaiting_payment` → `underpaid` (part received) / `detected` (full amount seen, confirming) → `confirmed` (final); ' +
      '`expired` (final) when the deadline passed without the full amount. A reorganisation can move `detected` back.',
  })
  status: DepositStatus;
  @ApiProperty({ description: 'Received within the deadline so far, in whole units.' }) received: string;
  @ApiProperty({ enum: PAYMENT_KINDS, description: 'received compared with amount.' }) payment: PaymentKind;
  @ApiProperty({ description: 'Of the transfer that completed the amount (or the latest one until then).' })
  confirmations: number;
  @ApiProperty({ description: 'Confirmations needed (CRYPTO_CONFIRMATIONS).' }) requiredConfirmations: number;
  @ApiProperty({ type: [DepositTransferDto] }) transfers: DepositTransferDto[];
  @ApiProperty({ example: '100.00' }) fiatAmount: string;
  @ApiProperty({ example: 'USD' }) fiatCurrency: string;
  @ApiProperty({ description: 'The quote’s rate.' }) rate: string;
  @ApiProperty() expiresAt: string;
  @ApiPropertyOptional() confirmedAt?: string;
  @ApiPropertyOptional() expiredAt?: string;
  @ApiProperty() createdAt: string;
}

export class DepositPageDto {
  @ApiProperty({ type: [DepositDto] }) items: DepositDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor: string | null;
}
