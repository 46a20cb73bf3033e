import { Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';
import { DirectLineClient, type DirectLineTokenParameters } from 'src/directline/directline.client';
import type { TokenQueryDto } from 'src/directline/dto/token-query.dto';
import { ConversationTokenResponseDto, TokenResponseDto } from 'src/directline/dto/token-response.dto';

/** Direct Line requires this prefix on user ids bound to tokens (enhanced authentication). */
const DIRECT_LINE_USER_PREFIX = 'dl_';

@Injectable()
export class DirectLineService {
  private readonly trustedOrigins: string[];

  constructor(
    private readonly directLine: DirectLineClient,
    config: AppConfig,
  ) {
    this.trustedOrigins = (config.DIRECTLINE_TRUSTED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '');
  }

  async getToken(query: TokenQueryDto): Promise<TokenResponseDto> {
    const { token, expires_in } = await this.directLine.generateToken(this.parameters(query));
    return { token, expires_in };
  }

  async getWebSocketToken(query: TokenQueryDto): Promise<ConversationTokenResponseDto> {
    const conversation = await this.directLine.startConversation(this.parameters(query));
    return {
      conversationId: conversation.conversationId,
      token: conversation.token,
      expires_in: conversation.expires_in,
      streamUrl: conversation.streamUrl,
      ...(conversation.referenceGrammarId === undefined ? {} : { referenceGrammarId: conversation.referenceGrammarId }),
      ...(conversation.eTag === undefined ? {} : { eTag: conversation.eTag }),
    };
  }

  private parameters(query: TokenQueryDto): DirectLineTokenParameters {
    return {
      ...(query.userId === undefined ? {} : { user: { id: DIRECT_LINE_USER_PREFIX + query.userId } }),
      ...(this.trustedOrigins.length === 0 ? {} : { trustedOrigins: this.trustedOrigins }),
    };
  }
}
