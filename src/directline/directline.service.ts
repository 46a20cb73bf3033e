import { Injectable } from '@nestjs/common';
import { DirectLineSettings } from 'src/directline/directline.settings';
import { DirectLineClient, type DirectLineTokenParameters } from 'src/directline/directline.client';
import { directLineUserId, type DirectLineUser } from 'src/directline/directline-user';
import { ConversationTokenResponseDto, TokenResponseDto } from 'src/directline/dto/token-response.dto';

@Injectable()
export class DirectLineService {
  private readonly trustedOrigins: string[];

  constructor(
    private readonly directLine: DirectLineClient,
    config: DirectLineSettings,
  ) {
    this.trustedOrigins = (config.DIRECTLINE_TRUSTED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '');
  }

  /** A token, bound to `user` when there is one (see DirectLineUser for the namespaces). */
  async getToken(user: DirectLineUser | undefined): Promise<TokenResponseDto> {
    const { token, expires_in } = await this.directLine.generateToken(this.parameters(user));
    return { token, expires_in };
  }

  async getWebSocketToken(user: DirectLineUser | undefined): Promise<ConversationTokenResponseDto> {
    const conversation = await this.directLine.startConversation(this.parameters(user));
    return {
      conversationId: conversation.conversationId,
      token: conversation.token,
      expires_in: conversation.expires_in,
      streamUrl: conversation.streamUrl,
      ...(conversation.referenceGrammarId === undefined ? {} : { referenceGrammarId: conversation.referenceGrammarId }),
      ...(conversation.eTag === undefined ? {} : { eTag: conversation.eTag }),
    };
  }

  private parameters(user: DirectLineUser | undefined): DirectLineTokenParameters {
    return {
      ...(user === undefined ? {} : { user: { id: directLineUserId(user) } }),
      ...(this.trustedOrigins.length === 0 ? {} : { trustedOrigins: this.trustedOrigins }),
    };
  }
}
