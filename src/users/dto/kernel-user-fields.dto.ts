import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { SubscriptionType } from 'src/users/user.entity';
import { IsIdentifier, IsPhoneNumberText, IsSubscriptionType, IsTimestamp } from 'src/users/dto/user-fields';

/**
 * What Kernel tells about the user of a session, declared once: the get-or-create query
 * (`GET /users/aura-id`) and the OTP login's authentication context (`POST /users/{auraId}`) both carry it.
 */
export class KernelUserFieldsDto {
  @ApiProperty({ description: 'Kernel user id.', example: 'b5e0c1d4-2f3a-4e6b-8c9d-0a1b2c3d4e5f', maxLength: 128 })
  @IsIdentifier(128)
  userId: string;

  @ApiProperty({
    description: 'Kernel authorization (session) id: a new one at each login gives a new auraId.',
    example: '5b2e7f90-1c4d-4a8e-b3f6-9d0c2e1a7b48',
    maxLength: 256,
  })
  @IsIdentifier(256)
  authorizationId: string;

  @ApiPropertyOptional({
    description: 'Kernel auraIdGlobal; derived from the phone number (else the user id) when absent.',
    example: '3f1d9c2a-7b4e-5a61-9c0d-2e8f4b6a1c35',
    maxLength: 128,
  })
  @IsOptional()
  @IsIdentifier(128)
  auraIdGlobal?: string;

  @ApiPropertyOptional({
    description: 'Phone number, E.164 or national in the default region; stored in E.164.',
    example: '+34600000000',
  })
  @IsOptional()
  @IsPhoneNumberText()
  phoneNumber?: string;

  @ApiPropertyOptional({ description: 'Subscription type.', enum: SubscriptionType, example: SubscriptionType.Prepaid })
  @IsOptional()
  @IsSubscriptionType()
  subscriptionType?: SubscriptionType;

  @ApiPropertyOptional({
    description:
      'End of validity of the Kernel session (ISO 8601); the record expires then. The configured TTL applies when absent.',
    example: '2026-12-31T23:59:59Z',
  })
  @IsOptional()
  @IsTimestamp()
  expiresAt?: string;
}
