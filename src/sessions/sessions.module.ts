import { Global, Module } from '@nestjs/common';
import { ALTERNATIVE_CREDENTIAL } from 'src/common/access/alternative-credential';
import { AppConfig } from 'src/config/app-config';
import { InvalidationModule } from 'src/invalidation/invalidation.module';
import { OpenIdModule } from 'src/openid/openid.module';
import { AccessTokens } from 'src/sessions/access-tokens';
import { SessionCookieWriter } from 'src/sessions/session-cookies';
import { SessionCredential } from 'src/sessions/session-credential';
import { SessionRevocations } from 'src/sessions/session-revocations';
import { SessionsController } from 'src/sessions/sessions.controller';
import { SessionsMetrics, sessionEventsProvider } from 'src/sessions/sessions.metrics';
import { SessionsRepository } from 'src/sessions/sessions.repository';
import { SessionsService } from 'src/sessions/sessions.service';
import { SessionsSweeper } from 'src/sessions/sessions.sweeper';
import { UsersModule } from 'src/users/users.module';

/**
 * Browser sessions (docs/sessions.md). Global so that the access guard, wherever it is declared, finds
 * the session credential of the routes that admit one.
 */
@Global()
@Module({
  imports: [UsersModule, OpenIdModule, InvalidationModule],
  controllers: [SessionsController],
  providers: [
    SessionsService,
    SessionsRepository,
    SessionsSweeper,
    SessionsMetrics,
    sessionEventsProvider,
    AccessTokens,
    SessionRevocations,
    SessionCredential,
    { provide: ALTERNATIVE_CREDENTIAL, useExisting: SessionCredential },
    {
      provide: SessionCookieWriter,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new SessionCookieWriter(config.sessionCookieSecure),
    },
  ],
  exports: [SessionsService, SessionCookieWriter, ALTERNATIVE_CREDENTIAL],
})
export class SessionsModule {}
