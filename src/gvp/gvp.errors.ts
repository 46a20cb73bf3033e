/**
 * StatusCode of GVP's envelope. 0, 30, 320, 321 and 322 are GVP's own (GetAuraToken, API 8.3), with its
 * StatusMessage; the 37x, 38x and 39x codes are this service's, for failures GVP's contract has no code for.
 * docs/gvp.md lists them with their HTTP status and Severity.
 */
export enum GvpStatusCode {
  Ok = 0,
  AuthenticationRequired = 30,
  FourthPlatformNotAvailable = 320,
  UserNotFoundInFourthPlatform = 321,
  AuraBearerGenerationException = 322,
  InvalidRequest = 370,
  RateLimited = 371,
  DeviceSignInNotConfigured = 380,
  DeviceKeysNotAvailable = 381,
  ConversationNotConfigured = 390,
  ConversationNotAvailable = 391,
  InternalError = 399,
}

/** Severity of the envelope: 1 information (success), 2 the caller must act (sign in again, unknown subscriber), 3 a fault of the platform. */
export enum GvpSeverity {
  Info = 1,
  Warning = 2,
  Error = 3,
}

export type GvpErrorCode = Exclude<GvpStatusCode, GvpStatusCode.Ok>;

export const GVP_STATUS_MESSAGES: Record<GvpStatusCode, string> = {
  [GvpStatusCode.Ok]: 'OK',
  [GvpStatusCode.AuthenticationRequired]: 'AuthenticationRequired',
  [GvpStatusCode.FourthPlatformNotAvailable]: 'FourthPlatformNotAvailable',
  [GvpStatusCode.UserNotFoundInFourthPlatform]: 'UserNotFoundInFourthPlatform',
  [GvpStatusCode.AuraBearerGenerationException]: 'AuraBearerGenerationException',
  [GvpStatusCode.InvalidRequest]: 'InvalidRequest',
  [GvpStatusCode.RateLimited]: 'RateLimited',
  [GvpStatusCode.DeviceSignInNotConfigured]: 'DeviceSignInNotConfigured',
  [GvpStatusCode.DeviceKeysNotAvailable]: 'DeviceKeysNotAvailable',
  [GvpStatusCode.ConversationNotConfigured]: 'ConversationNotConfigured',
  [GvpStatusCode.ConversationNotAvailable]: 'ConversationNotAvailable',
  [GvpStatusCode.InternalError]: 'InternalError',
};

/** HTTP statuses each code may be answered with (the first is the usual one); the OpenAPI document lists them. */
export const GVP_HTTP_STATUSES: Record<GvpErrorCode, readonly number[]> = {
  [GvpStatusCode.AuthenticationRequired]: [401],
  [GvpStatusCode.FourthPlatformNotAvailable]: [502, 503, 504],
  [GvpStatusCode.UserNotFoundInFourthPlatform]: [404],
  [GvpStatusCode.AuraBearerGenerationException]: [500],
  [GvpStatusCode.InvalidRequest]: [400],
  [GvpStatusCode.RateLimited]: [429],
  [GvpStatusCode.DeviceSignInNotConfigured]: [503],
  [GvpStatusCode.DeviceKeysNotAvailable]: [503],
  [GvpStatusCode.ConversationNotConfigured]: [503],
  [GvpStatusCode.ConversationNotAvailable]: [502, 503, 504],
  [GvpStatusCode.InternalError]: [500, 503],
};

export function gvpSeverity(code: GvpStatusCode): GvpSeverity {
  switch (code) {
    case GvpStatusCode.Ok:
      return GvpSeverity.Info;
    case GvpStatusCode.AuthenticationRequired:
    case GvpStatusCode.UserNotFoundInFourthPlatform:
    case GvpStatusCode.InvalidRequest:
    case GvpStatusCode.RateLimited:
      return GvpSeverity.Warning;
    case GvpStatusCode.FourthPlatformNotAvailable:
    case GvpStatusCode.AuraBearerGenerationException:
    case GvpStatusCode.DeviceSignInNotConfigured:
    case GvpStatusCode.DeviceKeysNotAvailable:
    case GvpStatusCode.ConversationNotConfigured:
    case GvpStatusCode.ConversationNotAvailable:
    case GvpStatusCode.InternalError:
      return GvpSeverity.Error;
  }
}

/** Outcome label of a sign-in, for the metric and the log line. */
export type GvpOutcome =
  | 'linked'
  | 'created'
  | 'authentication_required'
  | 'kernel_unavailable'
  | 'user_not_found'
  | 'bearer_generation_failed'
  | 'assertion_refused'
  | 'not_configured'
  | 'device_keys_unavailable'
  | 'conversation_failed'
  | 'invalid_request'
  | 'rate_limited'
  | 'error';

/** A sign-in that failed, answered in GVP's envelope (never as problem+json). */
export class GvpError extends Error {
  override readonly name = 'GvpError';

  constructor(
    readonly code: GvpErrorCode,
    readonly httpStatus: number,
    readonly outcome: GvpOutcome,
    /** Why, for the log; never a token, identifier or phone number. */
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
  }

  get statusMessage(): string {
    return GVP_STATUS_MESSAGES[this.code];
  }

  get severity(): GvpSeverity {
    return gvpSeverity(this.code);
  }
}

/** The envelope of every GVP answer. */
export interface GvpEnvelope<T> {
  StatusCode: GvpStatusCode;
  Severity: GvpSeverity;
  StatusMessage: string;
  Content: T | null;
}

export function gvpOk<T>(content: T): GvpEnvelope<T> & { Content: T } {
  return { StatusCode: GvpStatusCode.Ok, Severity: GvpSeverity.Info, StatusMessage: 'OK', Content: content };
}

export function gvpFailure(error: GvpError): GvpEnvelope<never> {
  return { StatusCode: error.code, Severity: error.severity, StatusMessage: error.statusMessage, Content: null };
}
