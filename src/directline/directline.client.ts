import { Injectable, Logger } from '@nestjs/common';
import { toRetryAfterSeconds } from 'src/common/http/retry-after';
import { UpstreamPolicy } from 'src/common/http/upstream-policy';
import { DirectLineSettings } from 'src/directline/directline.settings';
import { DirectLineFailure } from 'src/directline/directline-failure';
import { DirectLineConversation, DirectLineToken, validateDirectLineBody } from 'src/directline/directline-response';
import { DirectLineMetrics, type DirectLineOperation } from 'src/directline/directline.metrics';
import { DirectLineError, DirectLineErrorCode } from 'src/directline/directline.errors';

/** Body of both Direct Line calls (Direct Line's TokenParameters). */
export interface DirectLineTokenParameters {
  /** Enhanced authentication: the user the token is bound to; Direct Line requires the `dl_` prefix. */
  user?: { id: string };
  /** Origins the token may be used from (enhanced authentication). */
  trustedOrigins?: string[];
}

const PATHS: Record<DirectLineOperation, string> = {
  generate_token: '/v3/directline/tokens/generate',
  start_conversation: '/v3/directline/conversations',
};

/** Largest Direct Line body read; a token answer is a few KiB. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Direct Line 3.0 client, resilient against its upstream (UpstreamPolicy): a timeout per attempt
 * (DIRECTLINE_TIMEOUT_MS), a deadline per call (DIRECTLINE_DEADLINE_MS), retries of connection errors, timeouts,
 * 5xx and 429 while the deadline leaves room, a circuit breaker; redirects are never followed, and every failure
 * becomes a DirectLineError with its own code.
 */
@Injectable()
export class DirectLineClient {
  private readonly logger = new Logger(DirectLineClient.name);
  private readonly baseUrl: string;
  private readonly plainWebSocketAllowed: boolean;
  private readonly policy: UpstreamPolicy<DirectLineOperation, DirectLineFailure>;

  constructor(
    private readonly config: DirectLineSettings,
    metrics: DirectLineMetrics,
  ) {
    this.baseUrl = config.DIRECTLINE_BASE_URL.replace(/\/+$/, '');
    this.plainWebSocketAllowed = this.baseUrl.startsWith('http://');
    this.policy = new UpstreamPolicy(
      {
        name: 'Direct Line',
        failure: DirectLineFailure,
        attemptTimeoutMs: config.DIRECTLINE_TIMEOUT_MS,
        deadlineMs: config.DIRECTLINE_DEADLINE_MS,
        retryInitialDelayMs: config.DIRECTLINE_RETRY_INITIAL_DELAY_MS,
        maxRetries: config.DIRECTLINE_MAX_RETRIES,
        breakerThreshold: config.DIRECTLINE_BREAKER_THRESHOLD,
        breakerHalfOpenAfterMs: config.DIRECTLINE_BREAKER_HALF_OPEN_AFTER_MS,
        maxBodyBytes: MAX_BODY_BYTES,
      },
      metrics,
      this.logger,
    );
  }

  generateToken(parameters: DirectLineTokenParameters): Promise<DirectLineToken> {
    return this.call('generate_token', parameters, DirectLineToken);
  }

  startConversation(parameters: DirectLineTokenParameters): Promise<DirectLineConversation> {
    return this.call('start_conversation', parameters, DirectLineConversation);
  }

  private async call<T extends object>(
    operation: DirectLineOperation,
    parameters: DirectLineTokenParameters,
    shape: new () => T,
  ): Promise<T> {
    const secret = this.config.DIRECTLINE_SECRET;
    if (secret === undefined) {
      throw new DirectLineError(
        DirectLineErrorCode.NotConfigured,
        'Direct Line is not configured in this environment (no DIRECTLINE_SECRET).',
      );
    }
    const body = JSON.stringify(parameters);
    try {
      return await this.policy.call((attempt) =>
        attempt(operation, (signal) => this.exchange(operation, secret, body, shape, signal)),
      );
    } catch (error) {
      throw toTokenError(error);
    }
  }

  /** One HTTP exchange, body included, under the attempt's signal (its timeout or the deadline). */
  private async exchange<T extends object>(
    operation: DirectLineOperation,
    secret: string,
    body: string,
    shape: new () => T,
    signal: AbortSignal,
  ): Promise<T> {
    const response = await fetch(this.baseUrl + PATHS[operation], {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', accept: 'application/json' },
      body,
      redirect: 'manual',
      signal,
    });
    await this.policy.rejectUnless(response, [200, 201], (status) => this.refused(status));
    const document = await this.policy.readJson(response);
    return validateDirectLineBody(shape, document, { plainWebSocketAllowed: this.plainWebSocketAllowed });
  }

  /** A redirect or a 4xx other than 429: the configuration, not Direct Line, needs fixing. */
  private refused(status: number): DirectLineFailure {
    if (status === 401 || status === 403) {
      this.logger.error(
        `Direct Line refused the configured secret (HTTP ${status}): check DIRECTLINE_SECRET and DIRECTLINE_BASE_URL`,
      );
      return new DirectLineFailure('secret_rejected', `Direct Line answered ${status}`, status);
    }
    this.logger.error(
      `Direct Line answered ${status} (redirects are not followed): check DIRECTLINE_BASE_URL and DIRECTLINE_SECRET`,
    );
    return new DirectLineFailure('unexpected_status', `Direct Line answered ${status}`, status);
  }
}

/** The failure as the caller's error: each kind has its own code. */
function toTokenError(error: unknown): unknown {
  if (!(error instanceof DirectLineFailure)) {
    return error;
  }
  switch (error.kind) {
    case 'circuit_open':
      return new DirectLineError(
        DirectLineErrorCode.CircuitOpen,
        'Direct Line is failing; calls are suspended for a short while. Retry later.',
        toRetryAfterSeconds(error.retryAfterMs),
      );
    case 'connection':
    case 'server_error':
      return new DirectLineError(DirectLineErrorCode.Unavailable, 'Direct Line is unavailable; retry shortly.');
    case 'timeout':
    case 'deadline':
      return new DirectLineError(DirectLineErrorCode.Timeout, 'Direct Line did not answer in time; retry shortly.');
    case 'throttled':
      return new DirectLineError(
        DirectLineErrorCode.Throttled,
        'Direct Line is throttling this service; retry after the indicated delay.',
        toRetryAfterSeconds(error.retryAfterMs),
      );
    case 'secret_rejected':
      return new DirectLineError(
        DirectLineErrorCode.SecretRejected,
        'Direct Line refused this service’s credentials; an operator must fix its configuration.',
      );
    case 'unexpected_status':
      return new DirectLineError(DirectLineErrorCode.UnexpectedStatus, 'Direct Line gave an unexpected answer.');
    case 'bad_response':
      return new DirectLineError(
        DirectLineErrorCode.BadResponse,
        'Direct Line answered with an invalid token document.',
      );
  }
}
