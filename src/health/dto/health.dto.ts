import { ApiProperty } from '@nestjs/swagger';

export class HealthResponseDto {
  @ApiProperty({ description: 'Overall status.', example: 'ok', enum: ['ok'] })
  status: 'ok';

  @ApiProperty({
    description: 'Result of each check.',
    example: { database: { status: 'up' }, heap: { status: 'up' } },
    type: 'object',
    additionalProperties: { type: 'object', properties: { status: { type: 'string', enum: ['up', 'down'] } } },
  })
  checks: Record<string, Record<string, unknown>>;
}

export class PingResponseDto {
  @ApiProperty({ description: 'Always `ok` when the service answers.', example: 'ok', enum: ['ok'] })
  status: 'ok';
}
