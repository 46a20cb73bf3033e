import { ApiProperty } from '@nestjs/swagger';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from 'src/openid/signing-keys';

export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * OpenID Provider metadata of the aura-groot/aura-bot issuer (OpenID Connect Discovery 1.0 §3).
 * It describes an issuer of signed JWTs, not a login server: there is no authorization or token endpoint.
 */
export class OpenIdConfigurationResponseDto {
  @ApiProperty({
    description: 'Issuer identifier: the `iss` of every token this service signs.',
    example: 'https://aura-auth.example.com/openid/issuer',
  })
  issuer: string;

  @ApiProperty({
    description: 'URL of the JSON Web Key Set holding the public keys that verify those tokens.',
    example: 'https://aura-auth.example.com/openid/jwk',
  })
  jwks_uri: string;

  @ApiProperty({
    description: 'Response types (required by OpenID discovery): tokens are issued as signed JWTs.',
    example: ['id_token'],
    type: [String],
  })
  response_types_supported: string[];

  @ApiProperty({
    description: 'Subject identifier types: the same `sub` for every audience.',
    example: ['public'],
    type: [String],
  })
  subject_types_supported: string[];

  @ApiProperty({
    description: 'JWS algorithms of the published keys (active, next and retired).',
    example: ['ES256'],
    enum: SIGNING_ALGORITHMS,
    isArray: true,
  })
  id_token_signing_alg_values_supported: SigningAlgorithm[];

  @ApiProperty({
    description: 'What the signed tokens are for: JWT-bearer authorization grants (RFC 7523) presented to Kernel.',
    example: [JWT_BEARER_GRANT_TYPE],
    type: [String],
  })
  grant_types_supported: string[];
}
