import { performance } from 'node:perf_hooks';
import { Injectable, Logger } from '@nestjs/common';
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  handleWhen,
  retry,
  timeout,
  TimeoutStrategy,
  type CircuitBreakerPolicy,
  type IBackoff,
  type RetryPolicy,
  type TimeoutPolicy,
} from 'cockatiel';
import { AppConfig } from 'src/config/app-config';
import { DirectLineFailure, parseRetryAfter, toRetryAfterSeconds } from 'src/directline/directline-failure';
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

/** A retry is only worth scheduling if at least this much of the deadline is left for the attempt itself. */
const MIN_ATTEMPT_MS = 50;

/**
 * Direct Line 3.0 client, resilient against its upstream:
 * - each attempt has its own timeout (DIRECTLINE_TIMEOUT_MS), the whole call a deadline (DIRECTLINE_DEADLINE_MS);
 * - connection errors, timeouts, 5xx and 429 are retried with jittered exponential backoff, honouring
 *   Retry-After, only while the deadline leaves room; nothing else is retried;
 * - a circuit breaker counts consecutive upstream faults, then fails fast until it lets a probe through;
 * - redirects are never followed; every failure becomes a DirectLineError with its own code.
 */
@Injectable()
export class DirectLineClient {
  private readonly logger = new Logger(DirectLineClient.name);
  private readonly baseUrl: string;
  private readonly plainWebSocketAllowed: boolean;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly attemptTimeout: TimeoutPolicy;
  private readonly backoff: ExponentialBackoff<unknown>;
  private breakerOpenedAt = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: DirectLineMetrics,
  ) {
    this.baseUrl = config.DIRECTLINE_BASE_URL.replace(/\/+$/, '');
    this.plainWebSocketAllowed = this.baseUrl.startsWith('http://');
    this.attemptTimeout = timeout(config.DIRECTLINE_TIMEOUT_MS, TimeoutStrategy.Cooperative);
    this.backoff = new ExponentialBackoff({
      initialDelay: config.DIRECTLINE_RETRY_INITIAL_DELAY_MS,
      maxDelay: config.DIRECTLINE_DEADLINE_MS,
    });
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof DirectLineFailure && error.isUpstreamFault),
      {
        halfOpenAfter: config.DIRECTLINE_BREAKER_HALF_OPEN_AFTER_MS,
        breaker: new ConsecutiveBreaker(config.DIRECTLINE_BREAKER_THRESHOLD),
      },
    );
    this.breaker.onStateChange((state) => this.metrics.circuitState(state));
    this.breaker.onBreak(() => {
      this.breakerOpenedAt = Date.now();
      this.logger.warn(
        `Direct Line circuit breaker opened after ${config.DIRECTLINE_BREAKER_THRESHOLD} consecutive failures; ` +
          `failing fast for ${config.DIRECTLINE_BREAKER_HALF_OPEN_AFTER_MS} ms`,
      );
    });
    this.breaker.onReset(() => this.logger.log('Direct Line circuit breaker closed: the upstream answers again'));
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
    const deadline = new AbortController();
    const deadlineAt = Date.now() + this.config.DIRECTLINE_DEADLINE_MS;
    const deadlineTimer = setTimeout(() => deadline.abort(), this.config.DIRECTLINE_DEADLINE_MS);
    const request = { operation, secret, body: JSON.stringify(parameters), shape, deadline: deadline.signal };
    try {
      return await this.retryPolicy(deadlineAt).execute(({ signal }) => {
        if (signal.aborted) {
          // Checked before the breaker, so that a call out of time is never taken for a probe.
          throw new DirectLineFailure('deadline', 'Direct Line deadline reached before the attempt');
        }
        return this.breaker.execute(
          () =>
            this.attemptTimeout.execute(({ signal: attemptSignal }) => this.attempt(request, attemptSignal), signal),
          signal,
        );
      }, deadline.signal);
    } catch (error) {
      if (error instanceof DirectLineFailure) {
        this.logger.warn(`Direct Line ${operation} failed (${error.kind}): ${error.message}`);
      }
      throw this.toTokenError(operation, error);
    } finally {
      clearTimeout(deadlineTimer);
    }
  }

  /**
   * Retries built per call: whether a failure is retried depends on the time left before its deadline.
   * The delay is the upstream's Retry-After when it sent one, else the next jittered exponential step.
   */
  private retryPolicy(deadlineAt: number): RetryPolicy {
    let step: IBackoff<unknown> | undefined;
    let nextDelayMs = 0;
    const worthRetrying = (error: Error): boolean => {
      if (!(error instanceof DirectLineFailure) || !error.retryable) {
        return false;
      }
      step = step === undefined ? this.backoff.next() : step.next(undefined);
      const delayMs = error.retryAfterMs ?? step.duration;
      if (Date.now() + delayMs + MIN_ATTEMPT_MS > deadlineAt) {
        return false;
      }
      nextDelayMs = delayMs;
      return true;
    };
    return retry(handleWhen(worthRetrying), {
      maxAttempts: this.config.DIRECTLINE_MAX_RETRIES,
      backoff: new DelegateBackoff(() => nextDelayMs),
    });
  }

  /** One HTTP exchange, body included, under the attempt's signal (its timeout or the deadline). */
  private async attempt<T extends object>(
    request: {
      operation: DirectLineOperation;
      secret: string;
      body: string;
      shape: new () => T;
      deadline: AbortSignal;
    },
    signal: AbortSignal,
  ): Promise<T> {
    const started = performance.now();
    try {
      const response = await fetch(this.baseUrl + PATHS[request.operation], {
        method: 'POST',
        headers: {
          authorization: `Bearer ${request.secret}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: request.body,
        redirect: 'manual',
        signal,
      });
      await this.rejectUnlessSuccess(response);
      const body = parseJson(await readBody(response));
      const result = validateDirectLineBody(request.shape, body, { plainWebSocketAllowed: this.plainWebSocketAllowed });
      this.metrics.attempt(request.operation, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const failure = classify(error, signal, request.deadline);
      this.metrics.attempt(request.operation, (performance.now() - started) / 1000, failure.kind);
      throw failure;
    }
  }

  private async rejectUnlessSuccess(response: Response): Promise<void> {
    const status = response.status;
    if (status === 200 || status === 201) {
      return;
    }
    // The body of a failure is of no use: release the connection.
    await response.body?.cancel().catch(() => undefined);
    if (status === 401 || status === 403) {
      this.logger.error(
        `Direct Line refused the configured secret (HTTP ${status}): check DIRECTLINE_SECRET and DIRECTLINE_BASE_URL`,
      );
      throw new DirectLineFailure('secret_rejected', `Direct Line answered ${status}`, status);
    }
    if (status === 429) {
      throw new DirectLineFailure(
        'throttled',
        'Direct Line answered 429',
        status,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (status >= 500) {
      throw new DirectLineFailure(
        'server_error',
        `Direct Line answered ${status}`,
        status,
        status === 503 ? parseRetryAfter(response.headers.get('retry-after')) : undefined,
      );
    }
    if (status >= 200 && status < 300) {
      throw new DirectLineFailure('bad_response', `Direct Line answered ${status} instead of a token`, status);
    }
    this.logger.error(
      `Direct Line answered ${status} (redirects are not followed): check DIRECTLINE_BASE_URL and DIRECTLINE_SECRET`,
    );
    throw new DirectLineFailure('unexpected_status', `Direct Line answered ${status}`, status);
  }

  private toTokenError(operation: DirectLineOperation, error: unknown): unknown {
    if (error instanceof BrokenCircuitError) {
      this.metrics.circuitOpen(operation);
      const probeInMs = this.breakerOpenedAt + this.config.DIRECTLINE_BREAKER_HALF_OPEN_AFTER_MS - Date.now();
      return new DirectLineError(
        DirectLineErrorCode.CircuitOpen,
        'Direct Line is failing; calls are suspended for a short while. Retry later.',
        toRetryAfterSeconds(probeInMs),
      );
    }
    if (!(error instanceof DirectLineFailure)) {
      return error;
    }
    switch (error.kind) {
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
}

/** What went wrong with an attempt that threw something other than a DirectLineFailure of ours. */
function classify(error: unknown, attemptSignal: AbortSignal, deadline: AbortSignal): DirectLineFailure {
  if (error instanceof DirectLineFailure) {
    return error;
  }
  if (deadline.aborted) {
    return new DirectLineFailure('deadline', 'Direct Line deadline reached during the attempt');
  }
  if (attemptSignal.aborted) {
    return new DirectLineFailure('timeout', 'Direct Line attempt timed out');
  }
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return new DirectLineFailure(
    'connection',
    `Direct Line connection failed${typeof cause === 'string' ? ` (${cause})` : ''}`,
  );
}

/** Reads the body as UTF-8 text, refusing more than MAX_BODY_BYTES whatever Content-Length says. */
async function readBody(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new DirectLineFailure('bad_response', 'Direct Line answered a body that is too large', response.status);
  }
  if (response.body === null) {
    return '';
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new DirectLineFailure('bad_response', 'Direct Line answered a body that is too large', response.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DirectLineFailure('bad_response', 'Direct Line answered a body that is not JSON');
  }
}
