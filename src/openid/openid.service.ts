import { Injectable } from '@nestjs/common';
import { AppConfig } from 'src/config/app-config';
import { JwksResponseDto } from 'src/openid/dto/jwks.dto';
import { JWT_BEARER_GRANT_TYPE, OpenIdConfigurationResponseDto } from 'src/openid/dto/openid-configuration.dto';
import { ifNoneMatchMatches, strongEntityTag } from 'src/openid/entity-tag';
import { KeysService } from 'src/openid/keys.service';
import { issuerUrl, OPENID_PATHS, publicUrl } from 'src/openid/openid-urls';

/** A response written as is: status, headers and the body's bytes, ready for the socket. */
export interface PreparedResponse {
  statusCode: 200 | 304;
  headers: Readonly<Record<string, string>>;
  body: Buffer | undefined;
}

/**
 * The discovery document and the JWKS. Keys only change with a restart, so both are built once
 * at boot: serving the JWKS costs no crypto, no serialisation, no encoding and no hashing.
 */
@Injectable()
export class OpenIdService {
  private readonly configuration: OpenIdConfigurationResponseDto;
  private readonly jwks: PreparedResponse;
  private readonly jwksNotModified: PreparedResponse;

  constructor(keys: KeysService, config: AppConfig) {
    const algorithms = keys.algorithms();
    this.configuration = Object.freeze({
      issuer: issuerUrl(config),
      jwks_uri: publicUrl(config, OPENID_PATHS.jwks),
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: algorithms,
      grant_types_supported: [JWT_BEARER_GRANT_TYPE],
    });
    const body = JSON.stringify({ keys: keys.publicKeys() } satisfies JwksResponseDto);
    const validators = {
      etag: strongEntityTag(body),
      'cache-control': `public, max-age=${config.JWKS_MAX_AGE_SECONDS}`,
    };
    this.jwks = Object.freeze({
      statusCode: 200,
      headers: Object.freeze({ ...validators, 'content-type': 'application/json; charset=utf-8' }),
      body: Buffer.from(body, 'utf8'),
    });
    // RFC 9110 §15.4.5: a 304 repeats ETag and Cache-Control, and has no body.
    this.jwksNotModified = Object.freeze({ statusCode: 304, headers: Object.freeze(validators), body: undefined });
  }

  getConfiguration(): OpenIdConfigurationResponseDto {
    return this.configuration;
  }

  /** The JWKS, or 304 Not Modified when the client's If-None-Match already names it. */
  getJwks(ifNoneMatch: string | undefined): PreparedResponse {
    return ifNoneMatchMatches(ifNoneMatch, this.jwks.headers.etag) ? this.jwksNotModified : this.jwks;
  }
}
