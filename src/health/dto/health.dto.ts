import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

/** The outcome of one check, as Terminus reports it. */
export class HealthCheckDto {
  @ApiProperty({ description: 'Outcome of the check.', example: 'up', enum: ['up', 'down'] })
  status: 'up' | 'down';

  @ApiPropertyOptional({ description: 'How long the check took, in ms (checks with a timeout).', example: 2 })
  responseTime?: number;
}

export class HealthResponseDto {
  @ApiProperty({ description: 'Overall status.', example: 'ok', enum: ['ok'] })
  status: 'ok';

  @ApiProperty({
    description: 'Result of each check.',
    example: { database: { status: 'up', responseTime: 2 }, heap: { status: 'up' } },
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(HealthCheckDto) },
  })
  checks: Record<string, Record<string, unknown>>;
}

export class PingResponseDto {
  @ApiProperty({ description: 'Always `ok` when the service answers.', example: 'ok', enum: ['ok'] })
  status: 'ok';
}
