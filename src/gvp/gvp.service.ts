import { performance } from 'node:perf_hooks';
import { Injectable, Logger } from '@nestjs/common';
import type { DeviceCaller } from 'src/auth/caller';
import { toProblem } from 'src/common/errors/problem';
import { GvpSettings } from 'src/gvp/gvp.settings';
import { DeviceSignIn, type SignedIn } from 'src/gvp/device-sign-in';
import type { GvpAuraIdResponseDto, GvpAuraTokenResponseDto } from 'src/gvp/dto/gvp-response.dto';
import { GvpError, gvpOk, GvpStatusCode, type GvpOutcome } from 'src/gvp/gvp.errors';
import { GvpMetrics, type GvpRoute } from 'src/gvp/gvp.metrics';
import { KernelError, KernelErrorCode } from 'src/kernel/kernel.errors';
import { DirectLineError, DirectLineErrorCode } from 'src/directline/directline.errors';
import { DirectLineService } from 'src/directline/directline.service';

/** GVP's GetAuraId and GetAuraToken: a device signs in; the answer is GVP's envelope. */
@Injectable()
export class GvpService {
  private readonly logger = new Logger(GvpService.name);

  constructor(
    private readonly config: GvpSettings,
    private readonly devices: DeviceSignIn,
    private readonly tokens: DirectLineService,
    private readonly metrics: GvpMetrics,
  ) {}

  async getAuraId(device: DeviceCaller, requestId: string): Promise<GvpAuraIdResponseDto> {
    return this.observed('aura_id', requestId, async () => {
      const signedIn = await this.signIn(device, requestId);
      return { signedIn, response: gvpOk({ auraId: signedIn.auraId }) };
    });
  }

  async getAuraToken(device: DeviceCaller, requestId: string): Promise<GvpAuraTokenResponseDto> {
    return this.observed('aura_token', requestId, async () => {
      const signedIn = await this.signIn(device, requestId);
      // The device proved who it is: its user is in the authenticated namespace (dl_a_), out of public keys' reach.
      const conversation = await this.tokens
        .getWebSocketToken({ kind: 'authenticated', auraId: signedIn.auraId })
        .catch((error: unknown) => {
          throw conversationError(error);
        });
      return {
        signedIn,
        response: gvpOk({
          auraId: signedIn.auraId,
          conversationId: conversation.conversationId,
          token: conversation.token,
          expires_in: conversation.expires_in,
          streamUrl: conversation.streamUrl,
          ...(conversation.referenceGrammarId === undefined
            ? {}
            : { referenceGrammarId: conversation.referenceGrammarId }),
        }),
      };
    });
  }

  /** The device was authenticated by its token at the boundary (src/auth/passport/gvp-device.strategy.ts). */
  private async signIn(device: DeviceCaller, requestId: string): Promise<SignedIn> {
    return this.devices.signIn(device, this.config.GVP_CHANNEL, requestId).catch((error: unknown) => {
      throw kernelError(error);
    });
  }

  /** One metric and one log line per sign-in, with its outcome; never the token, the subscriber or a phone number. */
  private async observed<T>(
    route: GvpRoute,
    requestId: string,
    run: () => Promise<{ signedIn: SignedIn; response: T }>,
  ): Promise<T> {
    const started = performance.now();
    let outcome: GvpOutcome = 'error';
    let statusCode = GvpStatusCode.Ok;
    try {
      const { signedIn, response } = await run();
      outcome = signedIn.outcome;
      return response;
    } catch (error) {
      if (!(error instanceof GvpError) && toProblem(error, requestId).unexpected === undefined) {
        // A failure of the platform with its own problem (the database is down): answered as on every route.
        statusCode = GvpStatusCode.InternalError;
        throw error;
      }
      const failure = error instanceof GvpError ? error : unexpected(error, this.logger);
      outcome = failure.outcome;
      statusCode = failure.code;
      throw failure;
    } finally {
      this.record({ route, requestId, outcome, statusCode, durationMs: performance.now() - started });
    }
  }

  /**
   * One metric and one log line per sign-in, with its outcome; never the token, the subscriber or a phone number.
   * Also called by GvpFilter for a device token the boundary refused (the sign-in never reached this service).
   */
  record(attempt: {
    route: GvpRoute;
    requestId: string;
    outcome: GvpOutcome;
    statusCode: GvpStatusCode;
    durationMs: number;
  }): void {
    this.metrics.signIn(attempt.route, attempt.outcome);
    const entry = {
      ...attempt,
      channel: this.config.GVP_CHANNEL,
      durationMs: Math.round(attempt.durationMs * 10) / 10,
    };
    if (attempt.statusCode === GvpStatusCode.Ok || attempt.statusCode === GvpStatusCode.AuthenticationRequired) {
      this.logger.log(entry, 'GVP sign-in');
    } else {
      this.logger.warn(entry, 'GVP sign-in failed');
    }
  }
}

/** Kernel's failures, as GVP's codes 320, 321 and 322. */
function kernelError(error: unknown): unknown {
  if (!(error instanceof KernelError)) {
    return error;
  }
  const retryAfter: Record<string, string> =
    error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
  switch (error.code) {
    case KernelErrorCode.SubjectUnknown:
      return new GvpError(GvpStatusCode.UserNotFoundInFourthPlatform, 404, 'user_not_found', error.message);
    case KernelErrorCode.SigningFailed:
      return new GvpError(GvpStatusCode.AuraBearerGenerationException, 500, 'bearer_generation_failed', error.message);
    // Kernel refused the bearer this service generated: GVP's 322 (its key, kid, audience or clock), not 321.
    case KernelErrorCode.AssertionRefused:
      return new GvpError(GvpStatusCode.AuraBearerGenerationException, 500, 'assertion_refused', error.message);
    case KernelErrorCode.Timeout:
      return new GvpError(GvpStatusCode.FourthPlatformNotAvailable, 504, 'kernel_unavailable', error.message);
    case KernelErrorCode.CircuitOpen:
      return new GvpError(
        GvpStatusCode.FourthPlatformNotAvailable,
        503,
        'kernel_unavailable',
        error.message,
        retryAfter,
      );
    case KernelErrorCode.Unavailable:
      return new GvpError(
        GvpStatusCode.FourthPlatformNotAvailable,
        502,
        'kernel_unavailable',
        error.message,
        retryAfter,
      );
  }
}

/** Direct Line's failures (aura-token), as this service's codes 390 and 391 with Direct Line's HTTP status. */
function conversationError(error: unknown): unknown {
  if (!(error instanceof DirectLineError)) {
    return error;
  }
  const code =
    error.code === DirectLineErrorCode.NotConfigured
      ? GvpStatusCode.ConversationNotConfigured
      : GvpStatusCode.ConversationNotAvailable;
  return new GvpError(code, error.status, 'conversation_failed', `Direct Line failed (${error.code})`, error.headers);
}

function unexpected(error: unknown, logger: Logger): GvpError {
  logger.error({ err: error }, 'GVP sign-in failed unexpectedly');
  return new GvpError(GvpStatusCode.InternalError, 500, 'error', 'unexpected error');
}
