import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../../platform/http/index.js';
import { DEPOSIT_STATUSES, type DepositStatus } from '../deposit-state.js';

export class ListDepositsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DEPOSIT_STATUSES, description: 'Only deposits in this status.' })
  @IsOptional()
  @IsIn(DEPOSIT_STATUSES, { message: `must be one of ${DEPOSIT_STATUSES.join(', ')}` })
  status?: DepositStatus;
}
