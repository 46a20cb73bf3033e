import { applyDecorators } from '@nestjs/common';
import { ApiHideProperty, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { SubscriptionType } from 'src/users/user.entity';
import {
  IsBoundedJson,
  IsChannel,
  IsIdentifier,
  IsPhoneNumberText,
  IsSubscriptionType,
  IsTimestamp,
  TOKEN_PATTERN,
} from 'src/users/dto/user-fields';

/** Other members Kernel puts in the context are kept, up to this size serialised. */
export const ADDITIONAL_CONTEXT_MAX_BYTES = 4096;
const MAX_LIST_ITEMS = 64;

/** An optional list of scope or purpose names: printable ASCII tokens, bounded in number and length. */
function IsTokenList(): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    IsArray(),
    ArrayMaxSize(MAX_LIST_ITEMS),
    IsString({ each: true }),
    Length(1, 128, { each: true }),
    Matches(TOKEN_PATTERN, { each: true, message: 'each value in $property must be printable ASCII without spaces' }),
  );
}

/** The result of Kernel's `validateCode` (OTP login): who the user is and what the session allows. */
export class AuthenticationContextDto {
  @ApiPropertyOptional({
    description:
      'Channel of the login, when the caller knows it only from the context; used for a new record when neither the key nor the body names one.',
    example: 'whatsapp-es',
  })
  @IsOptional()
  @IsChannel()
  channel?: string;

  @ApiProperty({ description: 'Kernel user id.', example: 'b5e0c1d4-2f3a-4e6b-8c9d-0a1b2c3d4e5f', maxLength: 128 })
  @IsIdentifier(128)
  userId: string;

  @ApiProperty({
    description: 'Kernel authorization (session) id.',
    example: '5b2e7f90-1c4d-4a8e-b3f6-9d0c2e1a7b48',
    maxLength: 256,
  })
  @IsIdentifier(256)
  authorizationId: string;

  @ApiPropertyOptional({
    description: 'Kernel auraIdGlobal; derived from the phone number (else the user id) when absent.',
    example: '3f1d9c2a-7b4e-5a61-9c0d-2e8f4b6a1c35',
    maxLength: 128,
  })
  @IsOptional()
  @IsIdentifier(128)
  auraIdGlobal?: string;

  @ApiPropertyOptional({
    description: 'Phone number the user logged in with; stored in E.164.',
    example: '+34600000000',
  })
  @IsOptional()
  @IsPhoneNumberText()
  phoneNumber?: string;

  @ApiPropertyOptional({
    description: 'Subscription type.',
    enum: SubscriptionType,
    example: SubscriptionType.Postpaid,
  })
  @IsOptional()
  @IsSubscriptionType()
  subscriptionType?: SubscriptionType;

  @ApiPropertyOptional({ description: 'Level of assurance of the login (0-4).', example: 2, minimum: 0, maximum: 4 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(4)
  loa?: number;

  @ApiPropertyOptional({
    description: 'Scopes granted to the session.',
    example: ['user-profile-read'],
    type: [String],
    maxItems: MAX_LIST_ITEMS,
  })
  @IsTokenList()
  scopes?: string[];

  @ApiPropertyOptional({
    description: 'Purposes the user consented to.',
    example: ['identify-customer'],
    type: [String],
    maxItems: MAX_LIST_ITEMS,
  })
  @IsTokenList()
  purposes?: string[];

  @ApiPropertyOptional({
    description:
      'End of validity of the session (ISO 8601); the record expires then. The configured TTL applies when absent.',
    example: '2026-12-31T23:59:59Z',
  })
  @IsOptional()
  @IsTimestamp()
  expiresAt?: string;

  /** Every other member of the context, kept as Kernel sent it (bounded). Filled by the body's transform. */
  @ApiHideProperty()
  @IsBoundedJson(ADDITIONAL_CONTEXT_MAX_BYTES)
  additionalFields: Record<string, unknown>;
}

const KNOWN_CONTEXT_FIELDS: ReadonlySet<string> = new Set([
  'channel',
  'userId',
  'authorizationId',
  'auraIdGlobal',
  'phoneNumber',
  'subscriptionType',
  'loa',
  'scopes',
  'purposes',
  'expiresAt',
]);

/** Splits a context object into the members validated one by one and the others, kept together. */
function toAuthenticationContext(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  const known: Record<string, unknown> = {};
  const additionalFields: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) {
    (KNOWN_CONTEXT_FIELDS.has(name) ? known : additionalFields)[name] = member;
  }
  return plainToInstance(AuthenticationContextDto, { ...known, additionalFields });
}

/** `POST /users/{auraId}`: the authentication context obtained by the OTP login (seed 004). */
export class CreateAuthenticatedUserDto {
  @ApiPropertyOptional({
    description:
      "Channel of the user. When absent: the API key's bound channel, else the existing record's, else " +
      '`authenticationContext.channel`, else the configured DEFAULT_CHANNEL (`whatsapp`).',
    example: 'whatsapp-es',
  })
  @IsOptional()
  @IsChannel()
  channel?: string;

  @ApiProperty({
    description: `Kernel's authentication context. Members other than those listed are kept as sent (at most ${ADDITIONAL_CONTEXT_MAX_BYTES} bytes together).`,
    type: AuthenticationContextDto,
  })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Transform(({ value }) => toAuthenticationContext(value))
  authenticationContext: AuthenticationContextDto;
}
