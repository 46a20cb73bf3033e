import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { IsOmittable } from 'src/common/http/validation';

/** Characters and length of a user id passed on to Direct Line (it becomes `dl_u_<userId>`). */
export const USER_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

export class TokenQueryDto {
  @ApiPropertyOptional({
    description:
      'Binds the token to this user (Direct Line enhanced authentication): Direct Line receives `dl_u_<userId>` as ' +
      'the user id — what the caller asserts, never an authenticated identity (those are `dl_a_<auraId>`: a ' +
      "session's or a GVP device's own). 1-128 characters among letters, digits and `. _ : @ -`.",
    example: 'c2f1a7e0-5d4b-4c1e-9a8f-0b6d3e2f1a90',
    pattern: USER_ID_PATTERN.source,
    maxLength: 128,
  })
  @IsOmittable()
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'userId must be 1-128 letters, digits or . _ : @ -' })
  userId?: string;
}
