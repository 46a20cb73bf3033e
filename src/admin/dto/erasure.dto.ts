import { ApiProperty } from '@nestjs/swagger';

export class ErasureResponseDto {
  @ApiProperty({
    description: 'Records erased; 0 when nothing was held about that phone number (the call is idempotent).',
    example: 3,
    minimum: 0,
  })
  deleted: number;
}
