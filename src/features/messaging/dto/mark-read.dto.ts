import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export class MarkReadDto {
  @ApiProperty({ minimum: 0, example: 42, description: 'The seq of the newest message the caller has read.' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  upTo: number;
}
