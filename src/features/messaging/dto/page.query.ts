import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';

export { PageQuery, DEFAULT_PAGE } from '../../../platform/http/index.js';

export class StreamQuery {
  @ApiPropertyOptional({
    minimum: 0,
    description:
      'Start after this seq, for clients that cannot send `Last-Event-ID` (the header wins when both are sent).',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;
}
