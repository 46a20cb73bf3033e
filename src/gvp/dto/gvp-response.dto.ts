import { ApiProperty, IntersectionType, OmitType } from '@nestjs/swagger';
import { ConversationTokenResponseDto, DIRECT_LINE_TOKEN_EXAMPLE } from 'src/directline/dto/token-response.dto';
import { GvpSeverity, GvpStatusCode } from 'src/gvp/gvp.errors';

const AURA_ID_EXAMPLE = 'm3Jd0c8qQm2b1Zt9o5kXwA7yVf2LhR4e';

const STATUS_CODES = Object.values(GvpStatusCode).filter((value): value is number => typeof value === 'number');

export class GvpAuraIdContentDto {
  @ApiProperty({ description: 'auraId of the user linked to the device.', example: AURA_ID_EXAMPLE })
  auraId: string;
}

/** The device's auraId and the conversation Direct Line started for it, as GET /token/wss describes it (no eTag). */
export class GvpAuraTokenContentDto extends IntersectionType(
  GvpAuraIdContentDto,
  OmitType(ConversationTokenResponseDto, ['token', 'eTag'] as const),
) {
  @ApiProperty({
    description: 'Direct Line token of the conversation, bound to `dl_a_<auraId>`.',
    example: DIRECT_LINE_TOKEN_EXAMPLE,
  })
  token: string;
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
