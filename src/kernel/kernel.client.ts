import { Injectable, Logger } from '@nestjs/common';
import { toRetryAfterSeconds } from 'src/common/http/retry-after';
import { UpstreamPolicy } from 'src/common/http/upstream-policy';
import { KernelSettings } from 'src/kernel/kernel.settings';
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

export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Lifetime of an assertion: long enough for one token request, far below the 5 minutes Kernel accepts. */
const ASSERTION_LIFETIME_SECONDS = 120;
/** Largest Kernel body read; token and profile answers are a few KiB. */
const MAX_BODY_BYTES = 64 * 1024;
/**
 * Kernel's OAuth endpoints, for GVP device sign-in: a JWT-bearer grant (RFC 7523) whose assertion this
 * service signs with its active private key, then the user profile with the access token.
 * Both calls run under one deadline (KERNEL_DEADLINE_MS) with a timeout per attempt (KERNEL_TIMEOUT_MS), retries
 * and a circuit breaker (UpstreamPolicy). Both are safe to repeat: the grant only issues a token, and each attempt
 * carries a freshly signed assertion (new `jti`), so Kernel's replay check never refuses it. Redirects are never
 * followed; every failure ends as a KernelError.
 */
@Injectable()
export class KernelClient {
  private readonly logger = new Logger(KernelClient.name);
  private readonly policy: UpstreamPolicy<KernelOperation, KernelFailure>;

  constructor(
    private readonly config: KernelSettings,
    private readonly keys: KeysService,
    metrics: KernelMetrics,
  ) {
    this.policy = new UpstreamPolicy(
      {
        name: 'Kernel',
        failure: KernelFailure,
        attemptTimeoutMs: config.KERNEL_TIMEOUT_MS,
        deadlineMs: config.KERNEL_DEADLINE_MS,
        retryInitialDelayMs: config.KERNEL_RETRY_INITIAL_DELAY_MS,
        maxRetries: config.KERNEL_MAX_RETRIES,
        breakerThreshold: config.KERNEL_BREAKER_THRESHOLD,
        breakerHalfOpenAfterMs: config.KERNEL_BREAKER_HALF_OPEN_AFTER_MS,
        maxBodyBytes: MAX_BODY_BYTES,
        quietKinds: ['subject_unknown'],
      },
      metrics,
      this.logger,
    );
  }

  /**
   * Authenticates the subscriber (`subject`, Kernel's unique id of the person) and reads their profile.
   * `correlator` goes to Kernel as `x-correlator` (the request id).
   */
  async authenticate(subject: string, correlator: string): Promise<KernelUserProfile> {
    try {
      return await this.policy.call(async (attempt) => {
        const token = await attempt('token', (signal) => this.requestToken(subject, correlator, signal));
        const profile = await attempt('userprofile', (signal) => this.requestProfile(token, correlator, signal));
        return { ...profile, authorizationId: profile.authorizationId ?? token.authorizationId };
      });
    } catch (error) {
      throw toKernelError(error);
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
      const { error, description } = oauthError(await this.policy.readBody(response).catch(() => ''));
      if (response.status === 400 && error === 'invalid_grant') {
        throw this.invalidGrant(description, subject);
      }
      this.logger.error(
        `Kernel refused the client (HTTP ${response.status}, ${error ?? 'no OAuth error'}): ` +
          'check KERNEL_CLIENT_ID, KERNEL_CLIENT_SECRET, KERNEL_SCOPES and KERNEL_PURPOSES',
      );
      throw new KernelFailure('client_rejected', `Kernel answered ${response.status}`, response.status);
    }
    await this.policy.rejectUnless(response, [200], (status) => this.refused('token', status));
    return parseAccessToken(await this.policy.readJson(response));
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
    if (response.status === 404 || response.status === 204) {
      await response.body?.cancel().catch(() => undefined);
      throw new KernelFailure('subject_unknown', 'Kernel has no profile for the subscriber', response.status);
    }
    await this.policy.rejectUnless(response, [200], (status) => this.refused('userprofile', status));
    return parseUserProfile(await this.policy.readJson(response));
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

  /**
   * `invalid_grant` says either that Kernel does not know the subject (GVP's 321) or that it refused the assertion
   * itself — signature, kid, audience, expiry, replay — which is this service's fault, not the subscriber's, and
   * must never pass for an unknown subscriber (it would be remembered as one). Only a description naming the
   * subject as unknown is the former; anything else, a bare `invalid_grant` included, is the latter.
   */
  private invalidGrant(description: string | undefined, subject: string): KernelFailure {
    if (description !== undefined && UNKNOWN_SUBJECT.test(description)) {
      return new KernelFailure('subject_unknown', 'Kernel does not know the subject (invalid_grant)', 400);
    }
    this.logger.error(
      `Kernel refused the JWT-bearer assertion (invalid_grant: ${safeDescription(description, subject)}): ` +
        'check that Kernel reads /openid/jwk, the active key of OPENID_SIGNING_KEYS, KERNEL_AUDIENCE and the clock',
    );
    return new KernelFailure('assertion_refused', 'Kernel refused the assertion (invalid_grant)', 400);
  }

  /** A redirect or a 4xx: Kernel refuses this service's configuration. */
  private refused(operation: KernelOperation, status: number): KernelFailure {
    this.logger.error(
      `Kernel ${operation} answered ${status} (redirects are not followed): check the KERNEL_* settings`,
    );
    return new KernelFailure('client_rejected', `Kernel answered ${status}`, status);
  }

  private required(value: string | undefined): string {
    if (value === undefined) {
      // Configuration validation makes this unreachable once GVP sign-in is configured.
      throw new KernelFailure('client_rejected', 'Kernel is not configured');
    }
    return value;
  }
}

function basicAuthorization(clientId: string, clientSecret: string): string {
  // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** An `error_description` of Kernel's that says the subject (the subscriber) is not one of its users. */
const UNKNOWN_SUBJECT =
  /\b(unknown|no such|not found|non-?existent)\W+(subject|user|subscriber|sub)\b|\b(subject|user|subscriber|sub)\b(\W+\S+)?\W+(is\W+)?(unknown|not found|does not exist)\b/i;
const MAX_LOGGED_DESCRIPTION = 200;

/** The `error` and `error_description` members of an OAuth error answer (RFC 6749 §5.2), when usable. */
function oauthError(text: string): { error?: string; description?: string } {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown } | null;
    const error = body?.error;
    const description = body?.error_description;
    return {
      ...(typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? { error } : {}),
      ...(typeof description === 'string' ? { description } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * Kernel's description as a log may show it: the characters RFC 6749 allows, bounded, and never the subject or a
 * JWT (Kernel may echo either back).
 */
function safeDescription(description: string | undefined, subject: string): string {
  if (description === undefined) {
    return 'no description';
  }
  return (
    description
      .split(subject)
      .join('<subject>')
      .replace(/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '<jwt>')
      .replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '')
      .slice(0, MAX_LOGGED_DESCRIPTION) || 'empty description'
  );
}

/** The failure as the caller's error. */
function toKernelError(error: unknown): unknown {
  if (!(error instanceof KernelFailure)) {
    return error;
  }
  switch (error.kind) {
    case 'circuit_open':
      return new KernelError(
        KernelErrorCode.CircuitOpen,
        'Kernel is failing; calls are suspended for a short while',
        toRetryAfterSeconds(error.retryAfterMs),
      );
    case 'subject_unknown':
      return new KernelError(KernelErrorCode.SubjectUnknown, 'Kernel does not know the subscriber');
    case 'signing_failed':
      return new KernelError(KernelErrorCode.SigningFailed, 'The JWT-bearer assertion could not be signed');
    case 'assertion_refused':
      return new KernelError(KernelErrorCode.AssertionRefused, 'Kernel refused the JWT-bearer assertion');
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
