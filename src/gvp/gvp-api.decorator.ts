import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { problemResponse } from 'src/common/http/api-problem.decorator';
import { GvpErrorResponseDto } from 'src/gvp/dto/gvp-response.dto';
import {
  GVP_HTTP_STATUSES,
  GVP_STATUS_MESSAGES,
  gvpSeverity,
  GvpStatusCode,
  type GvpErrorCode,
} from 'src/gvp/gvp.errors';

const WHEN: Record<GvpErrorCode, string> = {
  [GvpStatusCode.AuthenticationRequired]: 'missing, malformed, expired or forged device token',
  [GvpStatusCode.FourthPlatformNotAvailable]:
    'Kernel unreachable, failing (5xx), throttling (429), refusing this service or answering something invalid (502); its breaker open (503); no answer by the deadline (504)',
  [GvpStatusCode.UserNotFoundInFourthPlatform]: 'Kernel does not know the subscriber',
  [GvpStatusCode.AuraBearerGenerationException]: 'the JWT-bearer assertion could not be signed',
  [GvpStatusCode.DeviceSignInNotConfigured]: 'GVP sign-in is not configured in this environment',
  [GvpStatusCode.DeviceKeysNotAvailable]: "GVP's device-token keys (GVP_JWKS_URL) could not be fetched",
  [GvpStatusCode.ConversationNotConfigured]: 'Direct Line is not configured (aura-token)',
  [GvpStatusCode.ConversationNotAvailable]: 'Direct Line failed, throttled or timed out (aura-token)',
  [GvpStatusCode.InternalError]: 'unexpected failure; the log has the details',
};

/** The GVP error envelopes a status may carry, one example per code. */
function envelopeContent(codes: GvpErrorCode[]) {
  return {
    'application/json': {
      schema: { $ref: getSchemaPath(GvpErrorResponseDto) },
      examples: Object.fromEntries(
        codes.map((code) => [
          `${code} ${GVP_STATUS_MESSAGES[code]}`,
          {
            summary: WHEN[code],
            value: {
              StatusCode: code,
              Severity: gvpSeverity(code),
              StatusMessage: GVP_STATUS_MESSAGES[code],
              Content: null,
            },
          },
        ]),
      ),
    },
  };
}

/**
 * Documents every error of a GVP route: GVP's envelope (application/json) for the sign-in's own failures,
 * and the usual problem+json of the API-key guard, which runs first. Apply it above `@Access(...)`:
 * its 401 and 429 responses replace the guard's alone.
 */
export function ApiGvpErrors(codes: GvpErrorCode[]): MethodDecorator {
  const byStatus = new Map<number, GvpErrorCode[]>();
  for (const code of codes) {
    for (const status of GVP_HTTP_STATUSES[code]) {
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
  }
  const decorators = [...byStatus.entries()].map(([status, statusCodes]) => {
    const guard =
      status === 401
        ? problemResponse(401, 'Missing, malformed, unknown, revoked or expired API key.', [
            'api_key_missing',
            'api_key_invalid',
          ])
        : undefined;
    const description = statusCodes.map((code) => `${code} ${GVP_STATUS_MESSAGES[code]}: ${WHEN[code]}.`).join(' ');
    return ApiResponse({
      status,
      description:
        guard === undefined ? description : `${description} API key refused: problem+json. ${guard.description}`,
      content: { ...envelopeContent(statusCodes), ...(guard?.content ?? {}) },
    });
  });
  return applyDecorators(ApiExtraModels(GvpErrorResponseDto), ...decorators);
}
