import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
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
  [GvpStatusCode.InvalidRequest]: 'an unknown, repeated or malformed query parameter',
  [GvpStatusCode.RateLimited]:
    'too many requests from this device or address, or too many failed device tokens; see Retry-After',
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
 * Documents every error of a GVP route, each in GVP's envelope (application/json): the boundary's refusals
 * (device token, rate limit, query) as much as the sign-in's own failures.
 */
export function ApiGvpErrors(codes: GvpErrorCode[]): MethodDecorator {
  const byStatus = new Map<number, GvpErrorCode[]>();
  for (const code of codes) {
    for (const status of GVP_HTTP_STATUSES[code]) {
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
  }
  const decorators = [...byStatus.entries()].map(([status, statusCodes]) =>
    ApiResponse({
      status,
      description: statusCodes.map((code) => `${code} ${GVP_STATUS_MESSAGES[code]}: ${WHEN[code]}.`).join(' '),
      content: envelopeContent(statusCodes),
    }),
  );
  return applyDecorators(ApiExtraModels(GvpErrorResponseDto), ...decorators);
}
