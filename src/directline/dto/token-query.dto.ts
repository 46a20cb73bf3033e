import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/** Characters and length of a user id passed on to Direct Line (it becomes `dl_<userId>`). */
export const USER_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

export class TokenQueryDto {
  @ApiPropertyOptional({
    description:
      'Binds the token to this user (Direct Line enhanced authentication): Direct Line receives `dl_<userId>` as the ' +
      'user id. 1-128 characters among letters, digits and `. _ : @ -`.',
    example: 'c2f1a7e0-5d4b-4c1e-9a8f-0b6d3e2f1a90',
    pattern: USER_ID_PATTERN.source,
    maxLength: 128,
  })
  @IsOptional()
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'userId must be 1-128 letters, digits or . _ : @ -' })
  userId?: string;
}
