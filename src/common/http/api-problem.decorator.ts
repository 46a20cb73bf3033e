import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from 'src/common/errors/problem';
import { ProblemResponseDto } from 'src/common/http/problem.dto';

/** Documents an error response of a route as application/problem+json, with the codes it may carry. */
export function ApiProblem(
  status: number,
  description: string,
  codes: string[] = [],
): MethodDecorator & ClassDecorator {
  const codeNote = codes.length > 0 ? ` Codes: ${codes.map((code) => `\`${code}\``).join(', ')}.` : '';
  return applyDecorators(
    ApiExtraModels(ProblemResponseDto),
    ApiResponse({
      status,
      description: description + codeNote,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemResponseDto) } } },
    }),
  );
}
