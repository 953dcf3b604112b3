import { ApiProperty } from '@nestjs/swagger';
import { IsMongoId } from 'class-validator';

export class CreateDepositDto {
  @ApiProperty({
    description: 'A quote of the caller that has not expired and has no deposit yet.',
    example: '66b0c0ffee0000000000cafe',
  })
  @IsMongoId({ message: 'must be the id of a quote (24 hexadecimal characters)' })
  quoteId: string;
}
