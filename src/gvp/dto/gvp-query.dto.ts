import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';

export class GvpQueryDto {
  @ApiPropertyOptional({
    description:
      'GVP session token of the device (a JWT signed by GVP). Required here or in the `X-GVP-Token` header; ' +
      'a missing, malformed, expired or forged token is answered with StatusCode 30. Never logged.',
    example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImdwdiJ9.eyJzdWIiOiJzdWJzY3JpYmVyIn0.c2ln',
  })
  @IsOptional()
  @IsString()
  token?: string;
}
