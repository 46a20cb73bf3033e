import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ServerSettings } from 'src/config/server.settings';
import { InvalidationModule } from 'src/invalidation/invalidation.module';
import { OpenIdModule } from 'src/openid/openid.module';
import { AccessTokens } from 'src/sessions/access-tokens';
import { SessionCookieWriter } from 'src/sessions/session-cookies';
import { SessionRevocations } from 'src/sessions/session-revocations';
import { Session } from 'src/sessions/session.entity';
import { SessionsController } from 'src/sessions/sessions.controller';
import { SessionsMetrics, sessionEventsProvider } from 'src/sessions/sessions.metrics';
import { SessionsRepository } from 'src/sessions/sessions.repository';
import { SessionsService } from 'src/sessions/sessions.service';
import { SessionsSettings } from 'src/sessions/sessions.settings';
import { SessionsSweeper } from 'src/sessions/sessions.sweeper';
import { UsersModule } from 'src/users/users.module';

/**
 * Browser sessions (docs/sessions.md): the session API, and the access-token check and revocations that the
 * boundary's session strategy (src/auth) uses.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Session]), UsersModule, OpenIdModule, InvalidationModule],
  controllers: [SessionsController],
  providers: [
    SessionsService,
    SessionsRepository,
    SessionsSweeper,
    SessionsMetrics,
    sessionEventsProvider,
    AccessTokens,
    SessionRevocations,
    {
      provide: SessionCookieWriter,
      inject: [SessionsSettings, ServerSettings],
      useFactory: (config: SessionsSettings, server: ServerSettings) =>
        new SessionCookieWriter(config.sessionCookieSecure(server), config.sessionCookieDomain),
    },
  ],
  exports: [SessionsService, SessionCookieWriter, AccessTokens, SessionRevocations],
})
export class SessionsModule {}
