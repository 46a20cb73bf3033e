import { ApiProperty } from '@nestjs/swagger';
import { SubscriptionType, UserType } from 'src/users/user.entity';
import type { LastValidAuraId, UserRow } from 'src/users/users.repository';

const AURA_ID_EXAMPLE = 'q3Xv9kR2mT8wYp1LzN4bC6dF0gH5jK7s';
const AURA_ID_GLOBAL_EXAMPLE = '3f1d9c2a-7b4e-5a61-9c0d-2e8f4b6a1c35';

/** An Aura user, as every user endpoint returns it. */
export class UserResponseDto {
  @ApiProperty({ description: 'Channel-level user id: opaque and URL-safe.', example: AURA_ID_EXAMPLE })
  auraId: string;

  @ApiProperty({
    description:
      'The same person across channels: from Kernel, or derived from the phone number for identifiable users.',
    example: AURA_ID_GLOBAL_EXAMPLE,
  })
  auraIdGlobal: string;

  @ApiProperty({
    description: 'Kernel user id; for identifiable users a derived UUID (same person, same value in every channel).',
    example: 'b5e0c1d4-2f3a-4e6b-8c9d-0a1b2c3d4e5f',
  })
  userId: string;

  @ApiProperty({ description: 'Channel the user belongs to.', example: 'whatsapp-es' })
  channel: string;

  @ApiProperty({
    description: '`authenticated` (logged in through Kernel) or `identifiable` (anonymous, identified in its channel).',
    enum: UserType,
    enumName: 'UserType',
    example: UserType.Authenticated,
  })
  userType: UserType;

  @ApiProperty({
    description: 'Subscription of an authenticated user, when Kernel reports it.',
    enum: SubscriptionType,
    enumName: 'SubscriptionType',
    nullable: true,
    example: SubscriptionType.Postpaid,
  })
  subscriptionType: SubscriptionType | null;

  @ApiProperty({
    description: 'Phone number in E.164, when known.',
    type: String,
    nullable: true,
    example: '+34600000000',
  })
  phoneNumber: string | null;

  @ApiProperty({
    description: 'Kernel authorization (session) id; null for identifiable users.',
    type: String,
    nullable: true,
    example: '5b2e7f90-1c4d-4a8e-b3f6-9d0c2e1a7b48',
  })
  authorizationId: string | null;

  @ApiProperty({
    description:
      "Kernel's authentication context as received at login (LoA, scopes, purposes, expiry and other Kernel fields).",
    nullable: true,
    type: 'object',
    additionalProperties: true,
    example: {
      userId: 'b5e0c1d4-2f3a-4e6b-8c9d-0a1b2c3d4e5f',
      authorizationId: '5b2e7f90-1c4d-4a8e-b3f6-9d0c2e1a7b48',
      loa: 2,
      scopes: ['user-profile-read'],
      purposes: ['identify-customer'],
      expiresAt: '2026-12-31T23:59:59Z',
    },
  })
  authenticationContext: Record<string, unknown> | null;

  @ApiProperty({ description: 'When the record was created.', example: '2026-11-22T10:15:30.000Z' })
  createdAt: string;

  @ApiProperty({ description: 'When the record last changed.', example: '2026-11-22T10:15:30.000Z' })
  updatedAt: string;

  @ApiProperty({ description: 'End of validity of the record.', example: '2026-12-22T10:15:30.000Z' })
  expiresAt: string;
}

/** The last valid auraId of an auraIdGlobal in a channel. */
export class LastAuraIdResponseDto {
  @ApiProperty({ description: 'The most recently created valid auraId.', example: AURA_ID_EXAMPLE })
  auraId: string;

  @ApiProperty({ description: 'The auraIdGlobal asked for.', example: AURA_ID_GLOBAL_EXAMPLE })
  auraIdGlobal: string;

  @ApiProperty({ description: 'Channel of the auraId.', example: 'webchat' })
  channel: string;

  @ApiProperty({ description: 'End of validity of that auraId.', example: '2026-12-22T10:15:30.000Z' })
  expiresAt: string;
}

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function toUserResponse(row: UserRow): UserResponseDto {
  return {
    auraId: row.aura_id,
    auraIdGlobal: row.aura_id_global,
    userId: row.user_id,
    channel: row.channel,
    userType: row.user_type,
    subscriptionType: row.subscription_type,
    phoneNumber: row.phone_number,
    authorizationId: row.authorization_id,
    authenticationContext: row.authentication_context,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    expiresAt: iso(row.expires_at),
  };
}

export function toLastAuraIdResponse(row: LastValidAuraId): LastAuraIdResponseDto {
  return {
    auraId: row.aura_id,
    auraIdGlobal: row.aura_id_global,
    channel: row.channel,
    expiresAt: iso(row.expires_at),
  };
}
