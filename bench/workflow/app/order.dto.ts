import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, IsUUID, Length, Max, Min } from 'class-validator';

/** The same request for both architectures. */
export class PlaceOrderDto {
  @ApiProperty({ description: "The client's reference (a UUID)." })
  @IsUUID()
  ref: string;

  @ApiProperty({ minimum: 1, maximum: 99_999_999 })
  @IsInt()
  @Min(1)
  @Max(99_999_999)
  amount: number;

  @ApiProperty({ enum: ['usd', 'eur'] })
  @IsIn(['usd', 'eur'])
  currency: string;

  @ApiProperty({ minLength: 1, maxLength: 2000 })
  @IsString()
  @Length(1, 2000)
  note: string;
}
