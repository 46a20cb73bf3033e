import { ApiProperty } from '@nestjs/swagger';

/** Authara's organization summary; for Aura, the channel of the user record (docs/sessions.md "User mapping"). */
export class OrganizationSummaryDto {
  @ApiProperty({ description: 'The channel of the user record (Aura has no organizations).', example: 'web' })
  id: string;

  @ApiProperty({ description: 'The channel again.', example: 'web' })
  name: string;

  @ApiProperty({
    description: 'Always `member`: a user belongs to its channel and administers nothing.',
    enum: ['owner', 'admin', 'member'],
    example: 'member',
  })
  role: 'owner' | 'admin' | 'member';
}

/**
 * Authara's current user (snake_case), every field its generated `CurrentUser` type requires, mapped from an
 * Aura user record: see docs/sessions.md "User mapping".
 */
export class CurrentUserResponseDto {
  @ApiProperty({ description: 'The auraId of the session.', example: 'q3Xv9kR2mT8wYp1LzN4bC6dF0gH5jK7s' })
  id: string;

  @ApiProperty({
    description:
      'E-mail address, when Kernel put one in the authentication context; otherwise the empty string (Authara requires a string).',
    example: '',
  })
  email: string;

  @ApiProperty({
    description: 'Aura has no user names: the auraId again (the Kernel user id is not disclosed to browsers).',
    example: 'q3Xv9kR2mT8wYp1LzN4bC6dF0gH5jK7s',
  })
  username: string;

  @ApiProperty({
    description:
      "Authara's platform roles (`authara:admin`, `authara:auditor`, `authara:monitor`, `authara:operator`): an Aura user holds none, so always empty.",
    type: [String],
    enum: ['authara:admin', 'authara:auditor', 'authara:monitor', 'authara:operator'],
    example: [],
  })
  roles: string[];

  @ApiProperty({
    description:
      'Aura extension: `aura:<userType>` (`aura:authenticated`, `aura:identifiable`) and `aura:<subscriptionType>` if known; the `roles` claim of the access token.',
    type: [String],
    example: ['aura:authenticated', 'aura:postpaid'],
  })
  aura_roles: string[];

  @ApiProperty({ description: 'True once the user record has expired.', example: false })
  disabled: boolean;

  @ApiProperty({ description: 'When the user record was created.', example: '2026-11-22T10:15:30.000Z' })
  created_at: string;

  @ApiProperty({ type: OrganizationSummaryDto, description: 'The channel of the user record, as an organization.' })
  organization: OrganizationSummaryDto;
}

export class LoginStateResponseDto {
  @ApiProperty({
    description:
      'The login state: pass it to Kernel, which seals it into the login callback as `state`; the browser keeps it as the `authara_login_state` cookie.',
    example: 'Q2hvb3NlIGEgcmFuZG9tIHN0YXRlIGV2ZXJ5IHRpbWU',
  })
  state: string;
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
