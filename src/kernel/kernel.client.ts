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
import { KernelFailure } from 'src/kernel/kernel-failure';
import { KernelError, KernelErrorCode } from 'src/kernel/kernel.errors';
import { KernelMetrics, type KernelOperation } from 'src/kernel/kernel.metrics';
import {
  parseAccessToken,
  parseUserProfile,
  type KernelAccessToken,
  type KernelUserProfile,
} from 'src/kernel/kernel-response';
import { KeysService } from 'src/openid/keys.service';
import { parseRetryAfter, toRetryAfterSeconds } from 'src/directline/directline-failure';

export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Lifetime of an assertion: long enough for one token request, far below the 5 minutes Kernel accepts. */
const ASSERTION_LIFETIME_SECONDS = 120;
/** Largest Kernel body read; token and profile answers are a few KiB. */
const MAX_BODY_BYTES = 64 * 1024;
/** A retry is only worth scheduling if at least this much of the deadline is left for the attempt itself. */
const MIN_ATTEMPT_MS = 50;

interface Attempt {
  operation: KernelOperation;
  deadline: AbortSignal;
}

/**
 * Kernel's OAuth endpoints, for GVP device sign-in: a JWT-bearer grant (RFC 7523) whose assertion this
 * service signs with its active private key, then the user profile with the access token.
 * - one overall deadline (KERNEL_DEADLINE_MS) for both calls, and a timeout per attempt (KERNEL_TIMEOUT_MS);
 * - connection errors, timeouts, 5xx and 429 are retried with jittered exponential backoff (honouring
 *   Retry-After) while the deadline leaves room. Both calls are safe to repeat: the grant only issues a token,
 *   and each attempt carries a freshly signed assertion (new `jti`), so Kernel's replay check never refuses it;
 * - a circuit breaker counts consecutive upstream faults, then fails fast until it lets a probe through;
 * - redirects are never followed; every failure ends as a KernelError.
 */
@Injectable()
export class KernelClient {
  private readonly logger = new Logger(KernelClient.name);
  private readonly breaker: CircuitBreakerPolicy;
  private readonly attemptTimeout: TimeoutPolicy;
  private readonly backoff: ExponentialBackoff<unknown>;
  private breakerOpenedAt = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly keys: KeysService,
    private readonly metrics: KernelMetrics,
  ) {
    this.attemptTimeout = timeout(config.KERNEL_TIMEOUT_MS, TimeoutStrategy.Cooperative);
    this.backoff = new ExponentialBackoff({
      initialDelay: config.KERNEL_RETRY_INITIAL_DELAY_MS,
      maxDelay: config.KERNEL_DEADLINE_MS,
    });
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof KernelFailure && error.isUpstreamFault),
      {
        halfOpenAfter: config.KERNEL_BREAKER_HALF_OPEN_AFTER_MS,
        breaker: new ConsecutiveBreaker(config.KERNEL_BREAKER_THRESHOLD),
      },
    );
    this.breaker.onStateChange((state) => this.metrics.circuitState(state));
    this.breaker.onBreak(() => {
      this.breakerOpenedAt = Date.now();
      this.logger.warn(
        `Kernel circuit breaker opened after ${config.KERNEL_BREAKER_THRESHOLD} consecutive failures; ` +
          `failing fast for ${config.KERNEL_BREAKER_HALF_OPEN_AFTER_MS} ms`,
      );
    });
    this.breaker.onReset(() => this.logger.log('Kernel circuit breaker closed: Kernel answers again'));
  }

  /**
   * Authenticates the subscriber (`subject`, Kernel's unique id of the person) and reads their profile.
   * `correlator` goes to Kernel as `x-correlator` (the request id).
   */
  async authenticate(subject: string, correlator: string): Promise<KernelUserProfile> {
    const deadline = new AbortController();
    const deadlineAt = Date.now() + this.config.KERNEL_DEADLINE_MS;
    const deadlineTimer = setTimeout(() => deadline.abort(), this.config.KERNEL_DEADLINE_MS);
    let operation: KernelOperation = 'token';
    try {
      const token = await this.resilient({ operation, deadline: deadline.signal }, deadlineAt, (signal) =>
        this.requestToken(subject, correlator, signal),
      );
      operation = 'userprofile';
      const profile = await this.resilient({ operation, deadline: deadline.signal }, deadlineAt, (signal) =>
        this.requestProfile(token, correlator, signal),
      );
      return { ...profile, authorizationId: profile.authorizationId ?? token.authorizationId };
    } catch (error) {
      throw this.toKernelError(operation, error);
    } finally {
      clearTimeout(deadlineTimer);
    }
  }

  private async resilient<T>(
    attempt: Attempt,
    deadlineAt: number,
    exchange: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return this.retryPolicy(deadlineAt).execute(({ signal }) => {
      if (signal.aborted) {
        // Checked before the breaker, so that a call out of time is never taken for a probe.
        throw new KernelFailure('deadline', 'Kernel deadline reached before the attempt');
      }
      return this.breaker.execute(
        () =>
          this.attemptTimeout.execute(
            ({ signal: attemptSignal }) => this.measured(attempt, attemptSignal, exchange),
            signal,
          ),
        signal,
      );
    }, attempt.deadline);
  }

  /** Retries built per call: whether a failure is retried depends on the time left before the deadline. */
  private retryPolicy(deadlineAt: number): RetryPolicy {
    let step: IBackoff<unknown> | undefined;
    let nextDelayMs = 0;
    const worthRetrying = (error: Error): boolean => {
      if (!(error instanceof KernelFailure) || !error.retryable) {
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
      maxAttempts: this.config.KERNEL_MAX_RETRIES,
      backoff: new DelegateBackoff(() => nextDelayMs),
    });
  }

  private async measured<T>(
    attempt: Attempt,
    signal: AbortSignal,
    exchange: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    try {
      const result = await exchange(signal);
      this.metrics.attempt(attempt.operation, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const failure = classify(error, signal, attempt.deadline);
      this.metrics.attempt(attempt.operation, (performance.now() - started) / 1000, failure.kind);
      throw failure;
    }
  }

  /** The JWT-bearer grant: a fresh assertion per attempt, form-encoded, HTTP Basic client authentication. */
  private async requestToken(subject: string, correlator: string, signal: AbortSignal): Promise<KernelAccessToken> {
    const tokenUrl = this.required(this.config.KERNEL_TOKEN_URL);
    const clientId = this.required(this.config.KERNEL_CLIENT_ID);
    const clientSecret = this.required(this.config.KERNEL_CLIENT_SECRET);
    const assertion = await this.signAssertion(subject, clientId, tokenUrl);
    const form = new URLSearchParams({
      grant_type: JWT_BEARER_GRANT_TYPE,
      assertion,
      scope: this.config.KERNEL_SCOPES,
      ...(this.config.KERNEL_PURPOSES === undefined ? {} : { purpose: this.config.KERNEL_PURPOSES }),
    });
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(clientId, clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'x-correlator': correlator,
      },
      body: form.toString(),
      redirect: 'manual',
      signal,
    });
    if (response.status === 400 || response.status === 401) {
      const error = oauthError(await readBody(response).catch(() => ''));
      if (response.status === 400 && error === 'invalid_grant') {
        throw new KernelFailure('subject_unknown', 'Kernel refused the grant (invalid_grant)', 400);
      }
      this.logger.error(
        `Kernel refused the client (HTTP ${response.status}, ${error ?? 'no OAuth error'}): ` +
          'check KERNEL_CLIENT_ID, KERNEL_CLIENT_SECRET, KERNEL_SCOPES and KERNEL_PURPOSES',
      );
      throw new KernelFailure('client_rejected', `Kernel answered ${response.status}`, response.status);
    }
    await this.rejectUnlessOk(response, 'token');
    return parseAccessToken(parseJson(await readBody(response)));
  }

  private async requestProfile(
    token: KernelAccessToken,
    correlator: string,
    signal: AbortSignal,
  ): Promise<KernelUserProfile> {
    const response = await fetch(this.required(this.config.KERNEL_USERPROFILE_URL), {
      method: 'GET',
      headers: { authorization: `Bearer ${token.accessToken}`, accept: 'application/json', 'x-correlator': correlator },
      redirect: 'manual',
      signal,
    });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      throw new KernelFailure('subject_unknown', 'Kernel has no profile for the subscriber', 404);
    }
    await this.rejectUnlessOk(response, 'userprofile');
    return parseUserProfile(parseJson(await readBody(response)));
  }

  private async signAssertion(subject: string, clientId: string, tokenUrl: string): Promise<string> {
    try {
      return await this.keys.sign(
        { iss: clientId, sub: subject, aud: this.config.KERNEL_AUDIENCE ?? tokenUrl },
        { expiresInSeconds: ASSERTION_LIFETIME_SECONDS },
      );
    } catch (error) {
      this.logger.error(
        { err: error },
        'Could not sign the JWT-bearer assertion: check the active key of OPENID_SIGNING_KEYS',
      );
      throw new KernelFailure('signing_failed', 'The JWT-bearer assertion could not be signed');
    }
  }

  private async rejectUnlessOk(response: Response, operation: KernelOperation): Promise<void> {
    const status = response.status;
    if (status === 200) {
      return;
    }
    await response.body?.cancel().catch(() => undefined);
    if (status === 429) {
      throw new KernelFailure(
        'throttled',
        'Kernel answered 429',
        status,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (status >= 500) {
      throw new KernelFailure(
        'server_error',
        `Kernel answered ${status}`,
        status,
        status === 503 ? parseRetryAfter(response.headers.get('retry-after')) : undefined,
      );
    }
    if (status >= 200 && status < 300) {
      throw new KernelFailure('bad_response', `Kernel answered ${status} instead of a document`, status);
    }
    this.logger.error(
      `Kernel ${operation} answered ${status} (redirects are not followed): check the KERNEL_* settings`,
    );
    throw new KernelFailure('client_rejected', `Kernel answered ${status}`, status);
  }

  private required(value: string | undefined): string {
    if (value === undefined) {
      // Configuration validation makes this unreachable once GVP sign-in is configured.
      throw new KernelFailure('client_rejected', 'Kernel is not configured');
    }
    return value;
  }

  private toKernelError(operation: KernelOperation, error: unknown): unknown {
    if (error instanceof BrokenCircuitError) {
      this.metrics.circuitOpen(operation);
      const probeInMs = this.breakerOpenedAt + this.config.KERNEL_BREAKER_HALF_OPEN_AFTER_MS - Date.now();
      return new KernelError(
        KernelErrorCode.CircuitOpen,
        'Kernel is failing; calls are suspended for a short while',
        toRetryAfterSeconds(probeInMs),
      );
    }
    if (!(error instanceof KernelFailure)) {
      return error;
    }
    if (error.kind !== 'subject_unknown') {
      this.logger.warn(`Kernel ${operation} failed (${error.kind}): ${error.message}`);
    }
    switch (error.kind) {
      case 'subject_unknown':
        return new KernelError(KernelErrorCode.SubjectUnknown, 'Kernel does not know the subscriber');
      case 'signing_failed':
        return new KernelError(KernelErrorCode.SigningFailed, 'The JWT-bearer assertion could not be signed');
      case 'timeout':
      case 'deadline':
        return new KernelError(KernelErrorCode.Timeout, 'Kernel did not answer in time');
      case 'throttled':
        return new KernelError(
          KernelErrorCode.Unavailable,
          'Kernel is throttling this service',
          toRetryAfterSeconds(error.retryAfterMs),
        );
      case 'connection':
      case 'server_error':
      case 'bad_response':
      case 'client_rejected':
        return new KernelError(KernelErrorCode.Unavailable, `Kernel failed (${error.kind})`);
    }
  }
}

function basicAuthorization(clientId: string, clientSecret: string): string {
  // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** The `error` member of an OAuth error answer (RFC 6749 §5.2), when it has one of the registered shape. */
function oauthError(text: string): string | undefined {
  try {
    const error = (JSON.parse(text) as { error?: unknown } | null)?.error;
    return typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? error : undefined;
  } catch {
    return undefined;
  }
}

/** What went wrong with an attempt that threw something other than a KernelFailure of ours. */
function classify(error: unknown, attemptSignal: AbortSignal, deadline: AbortSignal): KernelFailure {
  if (error instanceof KernelFailure) {
    // A body cut off by the deadline or the attempt timeout is a time-out, not a bad answer.
    if (error.kind === 'connection' || error.kind === 'bad_response') {
      if (deadline.aborted) {
        return new KernelFailure('deadline', 'Kernel deadline reached during the attempt');
      }
      if (attemptSignal.aborted) {
        return new KernelFailure('timeout', 'Kernel attempt timed out');
      }
    }
    return error;
  }
  if (deadline.aborted) {
    return new KernelFailure('deadline', 'Kernel deadline reached during the attempt');
  }
  if (attemptSignal.aborted) {
    return new KernelFailure('timeout', 'Kernel attempt timed out');
  }
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return new KernelFailure('connection', `Kernel connection failed${typeof cause === 'string' ? ` (${cause})` : ''}`);
}

/** Reads the body as UTF-8 text, refusing more than MAX_BODY_BYTES whatever Content-Length says. */
async function readBody(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new KernelFailure('bad_response', 'Kernel answered a body that is too large', response.status);
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
      throw new KernelFailure('bad_response', 'Kernel answered a body that is too large', response.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new KernelFailure('bad_response', 'Kernel answered a body that is not JSON');
  }
}
