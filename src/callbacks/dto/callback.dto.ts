import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { MAX_SEALED_LENGTH } from 'src/callbacks/callback-cipher';

export class CallbackQueryDto {
  @ApiProperty({
    description:
      'The sealed payload (format v1: `v1.<kid>.<iv>.<ciphertext>.<tag>`, AES-256-GCM, base64url). See the README, "Kernel callbacks".',
    example:
      'v1.k1.AAECAwQFBgcICQoL.PCC1c6SLrH7hY62pxowaT6_08keVCRYYGl3H8DBYIp4jcduIx65g8Q7FC4Tn6WFczGNC7HfngfYd_kttOtnE2cAM9krj4RZRMHbPFp-tNNkPuvlSRlNgWM3RvKYMmZu36c0_1sd3qSv7MQbWehcMS9xUA4baphT-YM0y_uTSDzvZZGPx0PW2.L3RDsONMEhRK9WT6j8D6gg',
    maxLength: MAX_SEALED_LENGTH,
  })
  @IsString()
  @Length(1, MAX_SEALED_LENGTH)
  data: string;
}

export class CallbackLoginResponseDto {
  @ApiProperty({ description: 'The Aura user id of the session.', example: 'k3Jx9QmZ0bq8N1fVtY7uLw2dRcE5sHaP' })
  auraId: string;

  @ApiProperty({
    description: 'Cross-channel identifier of the person.',
    example: '2f7d1c9e-5b1a-5e0c-9a43-7d2b8f6e1c30',
  })
  auraIdGlobal: string;

  @ApiProperty({ description: 'Kernel user id.', example: 'kernel-user-42' })
  userId: string;

  @ApiProperty({ description: 'Channel of the record.', example: 'web' })
  channel: string;

  @ApiProperty({ description: 'End of validity of the record (ISO 8601).', example: '2026-12-22T10:00:00.000Z' })
  expiresAt: string;
}
