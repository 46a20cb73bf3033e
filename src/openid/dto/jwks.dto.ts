import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from 'src/openid/signing-keys';

/** A public signing key (RFC 7517): only public parameters, never private ones. */
export class JwkDto {
  @ApiProperty({ description: 'Key type.', enum: ['RSA', 'EC', 'OKP'], example: 'EC' })
  kty: 'RSA' | 'EC' | 'OKP';

  @ApiProperty({
    description: 'Key id, carried in the `kid` header of the tokens it signs (RFC 7638 thumbprint unless configured).',
    example: 'DnSzLsJ1R6ou4ibpOZxG8ZC29fYRmI9WNOGo8yB29G4',
  })
  kid: string;

  @ApiProperty({ description: 'Intended use: signatures.', enum: ['sig'], example: 'sig' })
  use: 'sig';

  @ApiProperty({ description: 'JWS algorithm of the key.', enum: SIGNING_ALGORITHMS, example: 'ES256' })
  alg: SigningAlgorithm;

  @ApiPropertyOptional({
    description: 'RSA modulus (base64url).',
    example: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFb…',
  })
  n?: string;

  @ApiPropertyOptional({ description: 'RSA public exponent (base64url).', example: 'AQAB' })
  e?: string;

  @ApiPropertyOptional({ description: 'Curve of an EC or OKP key.', example: 'P-256' })
  crv?: string;

  @ApiPropertyOptional({
    description: 'x coordinate (EC) or public key (OKP), base64url.',
    example: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  })
  x?: string;

  @ApiPropertyOptional({
    description: 'y coordinate of an EC key, base64url.',
    example: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  })
  y?: string;
}

export class JwksResponseDto {
  @ApiProperty({ description: 'Every key verifiers must accept now, the active one first.', type: [JwkDto] })
  keys: JwkDto[];
}
