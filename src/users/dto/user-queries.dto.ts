import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { KernelUserFieldsDto } from 'src/users/dto/kernel-user-fields.dto';
import { IsChannel, IsPhoneNumberText } from 'src/users/dto/user-fields';
import { IsOmittable } from 'src/common/http/validation';

const CHANNEL_DESCRIPTION =
  "Channel of the user; defaults to the API key's bound channel (required when the key has none).";

/** `GET /users/aura-id/{auraId}`: the channel of an externally authenticated (WhatsApp) user. */
export class IdentifiableUserQueryDto {
  @ApiPropertyOptional({
    description:
      "Channel of the user; defaults to the API key's bound channel. With neither (seed 000's call, no parameters): " +
      'an existing record is answered in its channel, a new one is created in DEFAULT_CHANNEL (`whatsapp`).',
    example: 'whatsapp-es',
  })
  @IsOmittable()
  @IsChannel()
  channel?: string;

  @ApiPropertyOptional({
    description:
      'Phone number of the user, when the channel knows it: the same person then gets the same userId and auraIdGlobal in every channel.',
    example: '+34600000000',
  })
  @IsOmittable()
  @IsPhoneNumberText()
  phoneNumber?: string;
}

/** A channel selector, for lookups. */
export class ChannelQueryDto {
  @ApiPropertyOptional({ description: CHANNEL_DESCRIPTION, example: 'webchat' })
  @IsOmittable()
  @IsChannel()
  channel?: string;
}

/** `GET /users/aura-id`: the Kernel data that identifies an authenticated user of a channel. */
export class GetOrCreateUserQueryDto extends IntersectionType(ChannelQueryDto, KernelUserFieldsDto) {}
