import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

/** The outcome of one check, as Terminus reports it. */
export class HealthCheckDto {
  @ApiProperty({ description: 'Outcome of the check.', example: 'up', enum: ['up', 'down'] })
  status: 'up' | 'down';

  @ApiPropertyOptional({ description: 'How long the check took, in ms (checks with a timeout).', example: 2 })
  responseTime?: number;

  @ApiPropertyOptional({ description: 'eventLoop: longest block of the event loop since the previous probe, in ms.' })
  maxDelayMs?: number;

  @ApiPropertyOptional({ description: 'migrations: how many migrations of this build are not applied.' })
  pending?: number;

  @ApiPropertyOptional({ description: 'signingKeys: how many public keys the JWKS publishes.' })
  published?: number;

  @ApiPropertyOptional({ description: 'signingKeys: whether this replica holds a private key to sign with.' })
  signing?: boolean;

  @ApiPropertyOptional({ description: 'invalidationListener: whether revocations reach this replica as they happen.' })
  listening?: boolean;

  @ApiPropertyOptional({
    description: 'invalidationListener: true while not listening: caches trust entries for the short fallback TTL.',
  })
  fallback?: boolean;
}

export class HealthResponseDto {
  @ApiProperty({ description: 'Overall status.', example: 'ok', enum: ['ok'] })
  status: 'ok';

  @ApiProperty({
    description: 'Result of each check.',
    example: { eventLoop: { status: 'up', maxDelayMs: 12 }, heap: { status: 'up' } },
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(HealthCheckDto) },
  })
  checks: Record<string, Record<string, unknown>>;
}

export class PingResponseDto {
  @ApiProperty({ description: 'Always `ok` when the service answers.', example: 'ok', enum: ['ok'] })
  status: 'ok';
}
