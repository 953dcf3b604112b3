import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../../platform/http/index.js';
import { PAYMENT_STATUSES, type PaymentStatus } from '../payment-status.js';

export class ListPaymentsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PAYMENT_STATUSES, description: 'Only payments in this status.' })
  @IsOptional()
  @IsIn(PAYMENT_STATUSES, { message: `must be one of ${PAYMENT_STATUSES.join(', ')}` })
  status?: PaymentStatus;
}
