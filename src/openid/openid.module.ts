import { Module } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';
import { KeysService, SIGNING_KEYS } from 'src/openid/keys.service';
import { OpenIdController } from 'src/openid/openid.controller';
import { OpenIdService } from 'src/openid/openid.service';
import { loadSigningKeys } from 'src/openid/signing-key-source';

/** Signing keys (validated at boot; an unusable configuration stops the service), discovery and JWKS. */
@Module({
  controllers: [OpenIdController],
  providers: [
    { provide: SIGNING_KEYS, inject: [AppConfig], useFactory: (config: AppConfig) => loadSigningKeys(config) },
    KeysService,
    OpenIdService,
  ],
  exports: [KeysService],
})
export class OpenIdModule {}
