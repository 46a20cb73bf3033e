import { performance } from 'node:perf_hooks';
import type { Logger } from '@nestjs/common';
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
import { parseRetryAfter } from 'src/common/http/retry-after';
import { UpstreamFailure, type UpstreamFailureKind } from 'src/common/http/upstream-failure';
import type { UpstreamMetrics } from 'src/common/http/upstream-metrics';

/** A retry is only worth scheduling if at least this much of the deadline is left for the attempt itself. */
const MIN_ATTEMPT_MS = 50;

export interface UpstreamPolicySettings<Failure extends UpstreamFailure<string>> {
  /** The upstream's name in messages and log lines ("Direct Line"). */
  name: string;
  /** The upstream's failure class: every failure the policy raises is one. */
  failure: new (kind: UpstreamFailureKind, message: string, status?: number, retryAfterMs?: number) => Failure;
  /** Time allowed to one attempt, body included. */
  attemptTimeoutMs: number;
  /** Time allowed to the whole call, retries and backoff included. */
  deadlineMs: number;
  /** First backoff step; the next ones grow exponentially, with jitter. */
  retryInitialDelayMs: number;
  maxRetries: number;
  /** Consecutive upstream faults that open the circuit breaker. */
  breakerThreshold: number;
  /** How long the open breaker fails fast before it lets one probe through. */
  breakerHalfOpenAfterMs: number;
  /** Largest body read from the upstream. */
  maxBodyBytes: number;
  /** Failure kinds that are an ordinary answer (an unknown subject), not worth a warning. */
  quietKinds?: readonly string[];
}

/** Runs one attempt of `operation`: `exchange` gets the signal of the attempt (its timeout or the deadline). */
export type Attempt<Operation extends string> = <T>(
  operation: Operation,
  exchange: (signal: AbortSignal) => Promise<T>,
) => Promise<T>;

/**
 * Resilience against one upstream HTTP service, the same for each:
 * - each attempt has its own timeout, the whole call (one or more operations) a deadline;
 * - connection errors, timeouts, 5xx and 429 are retried with jittered exponential backoff, honouring
 *   Retry-After, only while the deadline leaves room; nothing else is retried;
 * - a circuit breaker counts consecutive upstream faults, then fails fast (`circuit_open`) until it lets a probe
 *   through;
 * - every attempt is measured, and every failure leaves as the upstream's failure class.
 */
export class UpstreamPolicy<Operation extends string, Failure extends UpstreamFailure<string>> {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly attemptTimeout: TimeoutPolicy;
  private readonly backoff: ExponentialBackoff<unknown>;
  private breakerOpenedAt = 0;

  constructor(
    private readonly settings: UpstreamPolicySettings<Failure>,
    private readonly metrics: UpstreamMetrics<Operation>,
    private readonly logger: Logger,
  ) {
    this.attemptTimeout = timeout(settings.attemptTimeoutMs, TimeoutStrategy.Cooperative);
    this.backoff = new ExponentialBackoff({
      initialDelay: settings.retryInitialDelayMs,
      maxDelay: settings.deadlineMs,
    });
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof UpstreamFailure && error.isUpstreamFault),
      {
        halfOpenAfter: settings.breakerHalfOpenAfterMs,
        breaker: new ConsecutiveBreaker(settings.breakerThreshold),
      },
    );
    this.breaker.onStateChange((state) => this.metrics.circuitState(state));
    this.breaker.onBreak(() => {
      this.breakerOpenedAt = Date.now();
      this.logger.warn(
        `${settings.name} circuit breaker opened after ${settings.breakerThreshold} consecutive failures; ` +
          `failing fast for ${settings.breakerHalfOpenAfterMs} ms`,
      );
    });
    this.breaker.onReset(() => this.logger.log(`${settings.name} circuit breaker closed: the upstream answers again`));
  }

  /**
   * One call under one deadline: `calls` runs its operations through `attempt`. A failure leaves as the
   * upstream's failure class (logged unless its kind is quiet); anything else leaves as it came.
   */
  async call<T>(calls: (attempt: Attempt<Operation>) => Promise<T>): Promise<T> {
    const deadline = new AbortController();
    const deadlineAt = Date.now() + this.settings.deadlineMs;
    const deadlineTimer = setTimeout(() => deadline.abort(), this.settings.deadlineMs);
    let current: Operation | undefined;
    const attempt: Attempt<Operation> = (operation, exchange) => {
      current = operation;
      return this.resilient(operation, deadline.signal, deadlineAt, exchange);
    };
    try {
      return await calls(attempt);
    } catch (error) {
      throw this.failureOf(current, error);
    } finally {
      clearTimeout(deadlineTimer);
    }
  }

  /** Reads the body as JSON, refusing more than `maxBodyBytes` whatever Content-Length says. */
  async readJson(response: Response): Promise<unknown> {
    const text = await this.readBody(response);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.failure('bad_response', `${this.settings.name} answered a body that is not JSON`);
    }
  }

  /** Reads the body as UTF-8 text, refusing more than `maxBodyBytes` whatever Content-Length says. */
  async readBody(response: Response): Promise<string> {
    const tooLarge = () =>
      this.failure('bad_response', `${this.settings.name} answered a body that is too large`, response.status);
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > this.settings.maxBodyBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge();
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
      if (size > this.settings.maxBodyBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * Returns when the status is one of `ok`; otherwise releases the connection and throws: 429 and 5xx (with
   * their Retry-After), another 2xx as a bad response, and a redirect (never followed) or another 4xx as
   * `refused` says.
   */
  async rejectUnless(response: Response, ok: readonly number[], refused: (status: number) => Failure): Promise<void> {
    const status = response.status;
    if (ok.includes(status)) {
      return;
    }
    // The body of a failure is of no use.
    await response.body?.cancel().catch(() => undefined);
    const name = this.settings.name;
    if (status === 429) {
      throw this.failure(
        'throttled',
        `${name} answered 429`,
        status,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (status >= 500) {
      const retryAfterMs = status === 503 ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
      throw this.failure('server_error', `${name} answered ${status}`, status, retryAfterMs);
    }
    if (status >= 200 && status < 300) {
      throw this.failure('bad_response', `${name} answered ${status} instead of a document`, status);
    }
    throw refused(status);
  }

  private failure(kind: UpstreamFailureKind, message: string, status?: number, retryAfterMs?: number): Failure {
    return new this.settings.failure(kind, message, status, retryAfterMs);
  }

  private resilient<T>(
    operation: Operation,
    deadline: AbortSignal,
    deadlineAt: number,
    exchange: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return this.retryPolicy(deadlineAt).execute(({ signal }) => {
      if (signal.aborted) {
        // Checked before the breaker, so that a call out of time is never taken for a probe.
        throw this.failure('deadline', `${this.settings.name} deadline reached before the attempt`);
      }
      return this.breaker.execute(
        () =>
          this.attemptTimeout.execute(
            ({ signal: attemptSignal }) => this.measured(operation, attemptSignal, deadline, exchange),
            signal,
          ),
        signal,
      );
    }, deadline);
  }

  /**
   * Retries built per call: whether a failure is retried depends on the time left before its deadline.
   * The delay is the upstream's Retry-After when it sent one, else the next jittered exponential step.
   */
  private retryPolicy(deadlineAt: number): RetryPolicy {
    let step: IBackoff<unknown> | undefined;
    let nextDelayMs = 0;
    const worthRetrying = (error: Error): boolean => {
      if (!(error instanceof UpstreamFailure) || !error.retryable) {
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
      maxAttempts: this.settings.maxRetries,
      backoff: new DelegateBackoff(() => nextDelayMs),
    });
  }

  /** One HTTP exchange, body included, measured and its failure classified. */
  private async measured<T>(
    operation: Operation,
    signal: AbortSignal,
    deadline: AbortSignal,
    exchange: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    try {
      const result = await exchange(signal);
      this.metrics.attempt(operation, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const failure = this.classify(error, signal, deadline);
      this.metrics.attempt(operation, (performance.now() - started) / 1000, failure.kind);
      throw failure;
    }
  }

  /** What went wrong with an attempt: its own failure as it is, anything else (fetch, abort) classified. */
  private classify(error: unknown, attemptSignal: AbortSignal, deadline: AbortSignal): Failure {
    if (error instanceof this.settings.failure) {
      return error;
    }
    const name = this.settings.name;
    if (deadline.aborted) {
      return this.failure('deadline', `${name} deadline reached during the attempt`);
    }
    if (attemptSignal.aborted) {
      return this.failure('timeout', `${name} attempt timed out`);
    }
    const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    return this.failure('connection', `${name} connection failed${typeof cause === 'string' ? ` (${cause})` : ''}`);
  }

  /** The call's failure as the upstream's failure class: an open breaker becomes `circuit_open`. */
  private failureOf(operation: Operation | undefined, error: unknown): unknown {
    if (error instanceof BrokenCircuitError && operation !== undefined) {
      this.metrics.circuitOpen(operation);
      const probeInMs = this.breakerOpenedAt + this.settings.breakerHalfOpenAfterMs - Date.now();
      return this.failure(
        'circuit_open',
        `${this.settings.name} is failing; calls are suspended`,
        undefined,
        probeInMs,
      );
    }
    if (error instanceof this.settings.failure && !this.settings.quietKinds?.includes(error.kind)) {
      this.logger.warn(`${this.settings.name} ${operation} failed (${error.kind}): ${error.message}`);
    }
    return error;
  }
}
