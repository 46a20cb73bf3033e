import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const DIRECT_LINE_TOKEN_EXAMPLE =
  'ew0KICAiYWxnIjogIlJTMjU2IiwNCiAgImtpZCI6ICJBT08tZXhGd2puR3lDTEJhOTgwVkxOME1tUTgiLA0KfQ.ew0KfQ.NIQfSRXW';

/** GET /token: a Direct Line token and its lifetime, nothing else. */
export class TokenResponseDto {
  @ApiProperty({ description: 'Direct Line token to talk to the bot.', example: DIRECT_LINE_TOKEN_EXAMPLE })
  token: string;

  @ApiProperty({ description: 'Seconds until the token expires.', example: 3600 })
  expires_in: number;
}

/** GET /token/wss: a started Direct Line conversation, as Direct Line describes it. */
export class ConversationTokenResponseDto {
  @ApiProperty({ description: 'Direct Line conversation id.', example: 'AXCifkJXwYkEjDkxWgA4gw' })
  conversationId: string;

  @ApiProperty({ description: 'Direct Line token for this conversation.', example: DIRECT_LINE_TOKEN_EXAMPLE })
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

  @ApiPropertyOptional({ description: 'ETag of the conversation, when Direct Line returns one.', example: 'W/"1"' })
  eTag?: string;
}
