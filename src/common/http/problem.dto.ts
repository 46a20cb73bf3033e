import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class FieldErrorDto {
  @ApiProperty({ description: 'The offending input field (dotted path for nested fields).', example: 'phoneNumber' })
  field: string;

  @ApiProperty({ description: 'What is wrong with it.', example: 'phoneNumber must be a valid phone number' })
  message: string;
}

/** RFC 9457 problem document, as every error of this API is answered (`application/problem+json`). */
export class ProblemResponseDto {
  @ApiProperty({
    description: 'URI identifying the problem type.',
    example: 'urn:aura-authentication-api:problem:validation_failed',
  })
  type: string;

  @ApiProperty({ description: 'Short summary of the problem type.', example: 'Bad Request' })
  title: string;

  @ApiProperty({ description: 'HTTP status code.', example: 400 })
  status: number;

  @ApiProperty({ description: 'Explanation of this occurrence.', example: 'Invalid input: phoneNumber.' })
  detail: string;

  @ApiProperty({
    description: 'URI of this occurrence (built from the request id).',
    example: 'urn:aura-authentication-api:request:0b5d2a8e-7c1f-4a57-9f0e-3f0c2b9a1d44',
  })
  instance: string;

  @ApiProperty({ description: 'Stable machine-readable error code.', example: 'validation_failed' })
  code: string;

  @ApiProperty({
    description: 'Request id, also in the x-request-id response header and in the logs.',
    example: '0b5d2a8e-7c1f-4a57-9f0e-3f0c2b9a1d44',
  })
  requestId: string;

  @ApiPropertyOptional({ description: 'Invalid fields, for validation failures.', type: [FieldErrorDto] })
  errors?: FieldErrorDto[];

  @ApiPropertyOptional({
    description: 'Id of an unexpected error (5xx), to quote to the operators.',
    example: '5a1c7f0e-2b8d-4e3a-9c61-0d7e8f9a2b3c',
  })
  errorId?: string;

  @ApiPropertyOptional({
    description: 'Result of each health check, for `unhealthy` (GET /healthz).',
    example: { database: { status: 'down', responseTime: 1001 }, heap: { status: 'up' } },
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['up', 'down'] },
        responseTime: { type: 'number' },
      },
      required: ['status'],
    },
  })
  checks?: Record<string, unknown>;
}
