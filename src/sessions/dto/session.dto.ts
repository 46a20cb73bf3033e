import { ApiProperty } from '@nestjs/swagger';

/** Authara's current user (snake_case), mapped from an Aura user record: see docs/sessions.md "User mapping". */
export class CurrentUserResponseDto {
  @ApiProperty({ description: 'The auraId of the session.', example: 'q3Xv9kR2mT8wYp1LzN4bC6dF0gH5jK7s' })
  id: string;

  @ApiProperty({
    description: 'E-mail address, when Kernel put one in the authentication context; otherwise null.',
    type: String,
    nullable: true,
    example: null,
  })
  email: string | null;

  @ApiProperty({
    description: 'Aura has no user names: the auraId again (the Kernel user id is not disclosed to browsers).',
    example: 'q3Xv9kR2mT8wYp1LzN4bC6dF0gH5jK7s',
  })
  username: string;

  @ApiProperty({
    description:
      '`aura:<userType>` (`aura:authenticated`, `aura:identifiable`) and `aura:<subscriptionType>` if known.',
    type: [String],
    example: ['aura:authenticated', 'aura:postpaid'],
  })
  roles: string[];

  @ApiProperty({ description: 'True once the user record has expired.', example: false })
  disabled: boolean;

  @ApiProperty({ description: 'When the user record was created.', example: '2026-11-22T10:15:30.000Z' })
  created_at: string;
}

export class CsrfTokenResponseDto {
  @ApiProperty({
    description: 'The CSRF token, also set as the `authara_csrf` cookie; send it back as `X-CSRF-Token`.',
    example: 'mYk3rW0cYb8f1bq9o8Jm0m6y8a7xv5G3yJ2gQm4r0tE',
  })
  csrf_token: string;
}

export class AutharaErrorDetailDto {
  @ApiProperty({
    description: 'Stable error code.',
    enum: ['unauthorized', 'invalid_request', 'forbidden', 'not_found', 'rate_limited', 'internal_error'],
    example: 'unauthorized',
  })
  code: string;

  @ApiProperty({ description: 'Human-readable explanation.', example: 'No valid session.' })
  message: string;
}

/** Authara's error envelope: the session API answers errors this way, not as problem+json. */
export class AutharaErrorResponseDto {
  @ApiProperty({ type: AutharaErrorDetailDto })
  error: AutharaErrorDetailDto;
}
