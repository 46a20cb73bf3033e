import { Injectable } from '@nestjs/common';
import type { Caller } from 'src/auth/caller';
import type { TokenQueryDto } from 'src/directline/dto/token-query.dto';
import { ConversationTokenResponseDto, TokenResponseDto } from 'src/directline/dto/token-response.dto';
import type { DirectLineUser } from 'src/directline/directline-user';
import { DirectLineService } from 'src/directline/directline.service';
import { SessionsError, SessionsErrorCode } from 'src/sessions/sessions.errors';

/** GET /token and /token/wss: who the Direct Line user is, then Direct Line's answer. */
@Injectable()
export class TokenService {
  constructor(private readonly directLine: DirectLineService) {}

  getToken(query: TokenQueryDto, caller: Caller | undefined): Promise<TokenResponseDto> {
    return this.directLine.getToken(this.userOf(query, caller));
  }

  getWebSocketToken(query: TokenQueryDto, caller: Caller | undefined): Promise<ConversationTokenResponseDto> {
    return this.directLine.getWebSocketToken(this.userOf(query, caller));
  }

  /**
   * A session's Direct Line user is its own auraId, authenticated, never another one; an API key asserts any
   * `userId` (or none), which stays in the asserted namespace (dl_u_) whatever it spells.
   */
  private userOf(query: TokenQueryDto, caller: Caller | undefined): DirectLineUser | undefined {
    if (caller?.kind !== 'session') {
      return query.userId === undefined ? undefined : { kind: 'asserted', userId: query.userId };
    }
    if (query.userId !== undefined && query.userId !== caller.auraId) {
      throw new SessionsError(
        SessionsErrorCode.SessionUserMismatch,
        'A session may only ask for Direct Line tokens of its own auraId.',
      );
    }
    return { kind: 'authenticated', auraId: caller.auraId };
  }
}
