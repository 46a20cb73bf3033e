import { Module } from '@nestjs/common';
import { ServerSettings } from 'src/config/server.settings';
import { DatabaseSettings } from 'src/database/database.settings';
import { KeysService, SIGNING_KEYS } from 'src/openid/keys.service';
import { OpenIdController } from 'src/openid/openid.controller';
import { OpenIdService } from 'src/openid/openid.service';
import { OpenIdSettings } from 'src/openid/openid.settings';
import { loadSigningKeys, signingKeySettings } from 'src/openid/signing-key-source';

/** Signing keys (validated at boot; an unusable configuration stops the service), discovery and JWKS. */
@Module({
  controllers: [OpenIdController],
  providers: [
    {
      provide: SIGNING_KEYS,
      inject: [OpenIdSettings, ServerSettings, DatabaseSettings],
      useFactory: (openid: OpenIdSettings, server: ServerSettings, database: DatabaseSettings) =>
        loadSigningKeys(signingKeySettings(openid, server, database)),
    },
    KeysService,
    OpenIdService,
  ],
  exports: [KeysService],
})
export class OpenIdModule {}
