import { performance } from 'node:perf_hooks';
import { Injectable, Logger } from '@nestjs/common';
import type { Caller } from 'src/common/access/caller';
import { toProblem } from 'src/common/errors/problem';
import { AppConfig } from 'src/config/app-config';
import { DeviceSignIn, type SignedIn } from 'src/gvp/device-sign-in';
import { DeviceTokenVerifier } from 'src/gvp/device-token.verifier';
import type { GvpAuraIdResponseDto, GvpAuraTokenResponseDto } from 'src/gvp/dto/gvp-response.dto';
import { GvpError, gvpOk, GvpStatusCode, type GvpOutcome } from 'src/gvp/gvp.errors';
import { GvpMetrics, type GvpRoute } from 'src/gvp/gvp.metrics';
import { KernelError, KernelErrorCode } from 'src/kernel/kernel.errors';
import { DirectLineError, DirectLineErrorCode } from 'src/directline/directline.errors';
import { DirectLineService } from 'src/directline/directline.service';

/** The device token, from the query (as GVP sends it) or the X-GVP-Token header. */
export interface GvpCredentials {
  query: string | undefined;
  header: string | undefined;
}

/** GVP's GetAuraId and GetAuraToken: a device signs in; the answer is GVP's envelope. */
@Injectable()
export class GvpService {
  private readonly logger = new Logger(GvpService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly verifier: DeviceTokenVerifier,
    private readonly devices: DeviceSignIn,
    private readonly tokens: DirectLineService,
    private readonly metrics: GvpMetrics,
  ) {}

  async getAuraId(credentials: GvpCredentials, caller: Caller): Promise<GvpAuraIdResponseDto> {
    return this.observed('aura_id', caller, async () => {
      const signedIn = await this.signIn(credentials, caller);
      return { signedIn, response: gvpOk({ auraId: signedIn.auraId }) };
    });
  }

  async getAuraToken(credentials: GvpCredentials, caller: Caller): Promise<GvpAuraTokenResponseDto> {
    return this.observed('aura_token', caller, async () => {
      const signedIn = await this.signIn(credentials, caller);
      const conversation = await this.tokens.getWebSocketToken({ userId: signedIn.auraId }).catch((error: unknown) => {
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

  private async signIn(credentials: GvpCredentials, caller: Caller): Promise<SignedIn> {
    const device = await this.verifier.verify(credentials.query ?? credentials.header);
    const channel = caller.key?.channel ?? this.config.GVP_CHANNEL;
    return this.devices.signIn(device, channel, caller.requestId).catch((error: unknown) => {
      throw kernelError(error);
    });
  }

  /** One metric and one log line per sign-in, with its outcome; never the token, the subscriber or a phone number. */
  private async observed<T>(
    route: GvpRoute,
    caller: Caller,
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
      if (!(error instanceof GvpError) && toProblem(error, caller.requestId).unexpected === undefined) {
        // A failure of the platform with its own problem (the database is down): answered as on every route.
        statusCode = GvpStatusCode.InternalError;
        throw error;
      }
      const failure = error instanceof GvpError ? error : unexpected(error, this.logger);
      outcome = failure.outcome;
      statusCode = failure.code;
      throw failure;
    } finally {
      this.metrics.signIn(route, outcome);
      const entry = {
        requestId: caller.requestId,
        route,
        outcome,
        statusCode,
        channel: caller.key?.channel ?? this.config.GVP_CHANNEL,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      };
      if (statusCode === GvpStatusCode.Ok || statusCode === GvpStatusCode.AuthenticationRequired) {
        this.logger.log(entry, 'GVP sign-in');
      } else {
        this.logger.warn(entry, 'GVP sign-in failed');
      }
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
