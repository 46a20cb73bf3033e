import { Injectable } from '@nestjs/common';
import { ServerSettings } from 'src/config/server.settings';
import { JwksResponseDto } from 'src/openid/dto/jwks.dto';
import { JWT_BEARER_GRANT_TYPE, OpenIdConfigurationResponseDto } from 'src/openid/dto/openid-configuration.dto';
import { ifNoneMatchMatches, strongEntityTag } from 'src/openid/entity-tag';
import { KeysService } from 'src/openid/keys.service';
import { issuerUrl, OPENID_PATHS, publicUrl } from 'src/openid/openid-urls';
import { OpenIdSettings } from 'src/openid/openid.settings';

/** A response written as is: status, headers and the body, ready for the socket. */
export interface PreparedResponse {
  statusCode: 200 | 304;
  headers: Readonly<Record<string, string>>;
  /** A string: Node writes it together with the headers, in one write. */
  body: string | undefined;
}

/** A document that changes only with a restart, with its validators, and the 304 that answers a matching ETag. */
export class PreparedDocument {
  private readonly ok: PreparedResponse;
  private readonly notModified: PreparedResponse;

  constructor(document: object, maxAgeSeconds: number) {
    const body = JSON.stringify(document);
    const validators = { etag: strongEntityTag(body), 'cache-control': `public, max-age=${maxAgeSeconds}` };
    this.ok = Object.freeze({
      statusCode: 200,
      headers: Object.freeze({ ...validators, 'content-type': 'application/json; charset=utf-8' }),
      body,
    });
    // RFC 9110 §15.4.5: a 304 repeats ETag and Cache-Control, and has no body.
    this.notModified = Object.freeze({ statusCode: 304, headers: Object.freeze(validators), body: undefined });
  }

  /** The document, or 304 Not Modified when the client's If-None-Match already names it. */
  respond(ifNoneMatch: string | undefined): PreparedResponse {
    return ifNoneMatchMatches(ifNoneMatch, this.ok.headers.etag) ? this.notModified : this.ok;
  }
}

/**
 * The discovery document and the JWKS. Keys and URLs only change with a restart, so both are built once
 * at boot: serving them costs no crypto, no serialisation, no encoding and no hashing.
 */
@Injectable()
export class OpenIdService {
  readonly configuration: PreparedDocument;
  readonly jwks: PreparedDocument;

  constructor(keys: KeysService, server: ServerSettings, config: OpenIdSettings) {
    const configuration: OpenIdConfigurationResponseDto = {
      issuer: issuerUrl(server),
      jwks_uri: publicUrl(server, OPENID_PATHS.jwks),
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: keys.algorithms(),
      grant_types_supported: [JWT_BEARER_GRANT_TYPE],
    };
    this.configuration = new PreparedDocument(configuration, config.JWKS_MAX_AGE_SECONDS);
    this.jwks = new PreparedDocument(
      { keys: keys.publicKeys() } satisfies JwksResponseDto,
      config.JWKS_MAX_AGE_SECONDS,
    );
  }
}
