import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, problemTitle } from 'src/common/errors/problem';
import { ProblemResponseDto } from 'src/common/http/problem.dto';

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;
export type ResponseObject = Exclude<NonNullable<OperationObject['responses'][string]>, { $ref: string }>;

const EXAMPLE_REQUEST_ID = '0b5d2a8e-7c1f-4a57-9f0e-3f0c2b9a1d44';

/** One example problem document per code, as the filter would write it. */
function examples(status: number, description: string, codes: string[]): Record<string, { value: unknown }> {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      {
        value: {
          type: `urn:aura-authentication-api:problem:${code}`,
          title: problemTitle(status),
          status,
          detail: description,
          instance: `urn:aura-authentication-api:request:${EXAMPLE_REQUEST_ID}`,
          code,
          requestId: EXAMPLE_REQUEST_ID,
          ...(code === 'validation_failed'
            ? { errors: [{ field: 'phoneNumber', message: 'phoneNumber must be a valid phone number' }] }
            : {}),
        },
      },
    ]),
  );
}

/** The OpenAPI response object of an application/problem+json error, with the codes it may carry. */
export function problemResponse(status: number, description: string, codes: string[] = []): ResponseObject {
  const codeNote = codes.length > 0 ? ` Codes: ${codes.map((code) => `\`${code}\``).join(', ')}.` : '';
  return {
    description: description + codeNote,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: getSchemaPath(ProblemResponseDto) },
        ...(codes.length > 0 ? { examples: examples(status, description, codes) } : {}),
      },
    },
  };
}

/** Documents an error response of a route as application/problem+json, with the codes it may carry. */
export function ApiProblem(
  status: number,
  description: string,
  codes: string[] = [],
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemResponseDto),
    ApiResponse({ status, ...problemResponse(status, description, codes) }),
  );
}
