import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { KernelUserFieldsDto } from 'src/users/dto/kernel-user-fields.dto';
import { IsChannel, IsPhoneNumberText } from 'src/users/dto/user-fields';

const CHANNEL_DESCRIPTION =
  "Channel of the user; defaults to the API key's bound channel (required when the key has none).";

/** `GET /users/aura-id/{auraId}`: the channel of an externally authenticated (WhatsApp) user. */
export class IdentifiableUserQueryDto {
  @ApiPropertyOptional({ description: CHANNEL_DESCRIPTION, example: 'whatsapp-es' })
  @IsOptional()
  @IsChannel()
  channel?: string;

  @ApiPropertyOptional({
    description:
      'Phone number of the user, when the channel knows it: the same person then gets the same userId and auraIdGlobal in every channel.',
    example: '+34600000000',
  })
  @IsOptional()
  @IsPhoneNumberText()
  phoneNumber?: string;
}

/** A channel selector, for lookups. */
export class ChannelQueryDto {
  @ApiPropertyOptional({ description: CHANNEL_DESCRIPTION, example: 'webchat' })
  @IsOptional()
  @IsChannel()
  channel?: string;
}

/** `GET /users/aura-id`: the Kernel data that identifies an authenticated user of a channel. */
export class GetOrCreateUserQueryDto extends IntersectionType(ChannelQueryDto, KernelUserFieldsDto) {}
