import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class DeadLetterFilterDto {
  @ApiPropertyOptional({
    description: 'subscriber name, e.g. messaging.notifications',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  subscriber?: string;

  @ApiPropertyOptional({
    description: 'event type, e.g. payments.payment.succeeded',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  type?: string;
}

export class ListDeadLettersQuery extends DeadLetterFilterDto {
  @ApiPropertyOptional({ enum: ['dead', 'replayed'], default: 'dead' })
  @IsOptional()
  @IsIn(['dead', 'replayed'])
  status: 'dead' | 'replayed' = 'dead';

  // Bounded so that the skip it makes, (page - 1) × pageSize, stays a reasonable integer (1e308 was a 500).
  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: 1_000_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page = 1;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  pageSize = 50;
}

export class PurgeDeadLettersQuery extends DeadLetterFilterDto {
  @ApiPropertyOptional({
    description: 'required (true) to purge without a subscriber or type filter',
  })
  @IsOptional()
  @Transform(({ value }) => value === true || value === 'true')
  @IsBoolean()
  all?: boolean;
}
