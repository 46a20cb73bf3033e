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
import { KernelUserFieldsDto } from 'src/users/dto/kernel-user-fields.dto';
import { IsBoundedJson, TOKEN_PATTERN } from 'src/users/dto/user-fields';
import { ChannelQueryDto } from 'src/users/dto/user-queries.dto';

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
export class AuthenticationContextDto extends KernelUserFieldsDto {
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

  /** Every other member of the context, kept as Kernel sent it (bounded). Filled by the body's transform. */
  @ApiHideProperty()
  @IsBoundedJson(ADDITIONAL_CONTEXT_MAX_BYTES)
  additionalFields: Record<string, unknown>;
}

const KNOWN_CONTEXT_FIELDS: ReadonlySet<string> = new Set([
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

/** `POST /users/{auraId}`: the authentication context obtained by the OTP login (docs/users.md, WhatsApp flows). */
export class CreateAuthenticatedUserDto extends ChannelQueryDto {
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
