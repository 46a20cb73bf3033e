import { applyDecorators } from '@nestjs/common';
import { ApiHideProperty, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { plainToInstance, Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsInt,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { KernelUserFieldsDto } from 'src/users/dto/kernel-user-fields.dto';
import { IsBoundedJson, IsChannel, TOKEN_PATTERN } from 'src/users/dto/user-fields';
import { ChannelQueryDto } from 'src/users/dto/user-queries.dto';
import { IsOmittable } from 'src/common/http/validation';

/** Other members Kernel puts in the context are kept, up to this size serialised. */
export const ADDITIONAL_CONTEXT_MAX_BYTES = 4096;
const MAX_LIST_ITEMS = 64;

/** An optional list of scope or purpose names: printable ASCII tokens, bounded in number and length. */
function IsTokenList(): PropertyDecorator {
  return applyDecorators(
    IsOmittable(),
    IsArray(),
    ArrayMaxSize(MAX_LIST_ITEMS),
    IsString({ each: true }),
    Length(1, 128, { each: true }),
    Matches(TOKEN_PATTERN, { each: true, message: 'each value in $property must be printable ASCII without spaces' }),
  );
}

/** The result of Kernel's `validateCode` (OTP login): who the user is and what the session allows. */
export class AuthenticationContextDto extends KernelUserFieldsDto {
  @ApiPropertyOptional({
    description:
      'Channel of the login, when the caller knows it only from the context; used for a new record when neither the key nor the body names one.',
    example: 'whatsapp-es',
  })
  @IsOmittable()
  @IsChannel()
  channel?: string;

  @ApiPropertyOptional({ description: 'Level of assurance of the login (0-4).', example: 2, minimum: 0, maximum: 4 })
  @IsOmittable()
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

/**
 * The one rule for the two forms of the login body (docs/users.md): a JSON object with an `authenticationContext`
 * member is the wrapped form, read as it is (so unknown members beside the context are still refused); any other
 * JSON object is the context itself — seed 004's `POST /users/auraId {authenticationContext}`, validateCode's
 * answer forwarded as is — and is read as `{ authenticationContext: body }`. Anything else is left for validation
 * to refuse.
 */
export function toWrappedLoginBody(body: unknown): unknown {
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    Object.hasOwn(body, 'authenticationContext')
  ) {
    return body;
  }
  return { authenticationContext: body };
}

/** `POST /users/{auraId}`: the authentication context obtained by the OTP login (docs/users.md, WhatsApp flows). */
export class CreateAuthenticatedUserDto extends ChannelQueryDto {
  @ApiPropertyOptional({
    description:
      "Channel of the user. When absent: the API key's bound channel, else the existing record's, else " +
      '`authenticationContext.channel`, else the configured DEFAULT_CHANNEL (`whatsapp`).',
    example: 'whatsapp-es',
  })
  @IsOmittable()
  @IsChannel()
  declare channel?: string;

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
