import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { GvpSeverity, GvpStatusCode } from 'src/gvp/gvp.errors';

const AURA_ID_EXAMPLE = 'm3Jd0c8qQm2b1Zt9o5kXwA7yVf2LhR4e';
const TOKEN_EXAMPLE =
  'ew0KICAiYWxnIjogIlJTMjU2IiwNCiAgImtpZCI6ICJBT08tZXhGd2puR3lDTEJhOTgwVkxOME1tUTgiLA0KfQ.ew0KfQ.NIQfSRXW';

const STATUS_CODES = Object.values(GvpStatusCode).filter((value): value is number => typeof value === 'number');

export class GvpAuraIdContentDto {
  @ApiProperty({ description: 'auraId of the user linked to the device.', example: AURA_ID_EXAMPLE })
  auraId: string;
}

export class GvpAuraTokenContentDto {
  @ApiProperty({ description: 'auraId of the user linked to the device.', example: AURA_ID_EXAMPLE })
  auraId: string;

  @ApiProperty({ description: 'Direct Line conversation id.', example: 'AXCifkJXwYkEjDkxWgA4gw' })
  conversationId: string;

  @ApiProperty({
    description: 'Direct Line token of the conversation, bound to `dl_<auraId>`.',
    example: TOKEN_EXAMPLE,
  })
  token: string;

  @ApiProperty({ description: 'Seconds until the token expires.', example: 3600 })
  expires_in: number;

  @ApiProperty({
    description: 'WebSocket URL streaming the conversation activities.',
    example:
      'wss://directline.botframework.com/v3/directline/conversations/AXCifkJXwYkEjDkxWgA4gw/stream?watermark=&t=ew0K',
  })
  streamUrl: string;

  @ApiPropertyOptional({
    description: 'Reference grammar id of the bot, when Direct Line returns one.',
    example: '4fcf85f0-4838-b45f-8290-6619774f88a8',
  })
  referenceGrammarId?: string;
}

class GvpEnvelopeDto {
  @ApiProperty({
    description: 'GVP status code: 0 OK, else the error (see the error responses and docs/gvp.md).',
    enum: STATUS_CODES,
    example: 0,
  })
  StatusCode: GvpStatusCode;

  @ApiProperty({
    description: 'Severity: 1 information (success), 2 the caller must act, 3 a platform fault.',
    enum: [GvpSeverity.Info, GvpSeverity.Warning, GvpSeverity.Error],
    example: 1,
  })
  Severity: GvpSeverity;

  @ApiProperty({ description: 'Name of the status code (`OK` on success).', example: 'OK' })
  StatusMessage: string;
}

export class GvpAuraIdResponseDto extends GvpEnvelopeDto {
  @ApiProperty({ type: GvpAuraIdContentDto, description: 'The device’s auraId.' })
  Content: GvpAuraIdContentDto;
}

export class GvpAuraTokenResponseDto extends GvpEnvelopeDto {
  @ApiProperty({ type: GvpAuraTokenContentDto, description: 'The device’s auraId and a started bot conversation.' })
  Content: GvpAuraTokenContentDto;
}

export class GvpErrorResponseDto extends GvpEnvelopeDto {
  @ApiProperty({
    description: 'Always null on an error.',
    type: 'object',
    nullable: true,
    example: null,
    additionalProperties: false,
  })
  Content: null;
}
