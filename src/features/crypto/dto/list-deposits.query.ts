import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DEPOSIT_STATUSES, type DepositStatus } from '../deposit-state.js';

export const MAX_PAGE = 100;

export class ListDepositsQuery {
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page (opaque).' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  limit?: number;

  @ApiPropertyOptional({ enum: DEPOSIT_STATUSES, description: 'Only deposits in this status.' })
  @IsOptional()
  @IsIn(DEPOSIT_STATUSES, { message: `must be one of ${DEPOSIT_STATUSES.join(', ')}` })
  status?: DepositStatus;
}
