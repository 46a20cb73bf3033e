import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AuditAction, AuditService } from 'src/audit/audit.service';
import { CallbackCipher, CallbackPurpose, parseCipherKeys } from 'src/callbacks/callback-cipher';
import { CallbacksMetrics } from 'src/callbacks/callbacks.metrics';
import { CallbacksRepository } from 'src/callbacks/callbacks.repository';
import { CallbacksError, CallbacksErrorCode } from 'src/callbacks/callbacks.errors';
import type { CallbackLoginResponseDto } from 'src/callbacks/dto/callback.dto';
import { CallbackPayload } from 'src/callbacks/dto/callback-payload';
import { MAX_JSON_DEPTH, nestsDeeperThan } from 'src/common/http/json-body';
import { CallbacksSettings } from 'src/callbacks/callbacks.settings';
import { Database, type Tx } from 'src/database/database';
import type { SessionCookies } from 'src/sessions/session-cookies';
import { type BrowserCredentials, SessionsService } from 'src/sessions/sessions.service';
import { PhoneNumbers } from 'src/users/phone-numbers';
import { UsersService } from 'src/users/users.service';

/** Clocks of Kernel and of this service may disagree by this much. */
const CLOCK_SKEW_SECONDS = 60;
/** Longest lifetime a callback token may claim: it bounds how long its id must be remembered. */
const MAX_LIFETIME_SECONDS = 3600;
const PURGE_INTERVAL_MS = 10 * 60_000;

/**
 * What a callback answers: a status, and either a body or a redirect. A redirecting login carries the
 * cookies of the browser session it opened; a redirecting logout clears them (docs/sessions.md).
 */
export type CallbackOutcome =
  | { status: 200 | 201; body: CallbackLoginResponseDto }
  | { status: 204 }
  | { status: 302; location: string; session: SessionCookies | 'clear' | 'none'; loginStateUsed?: boolean };

const FAILURES: Record<'malformed' | 'unknown_key' | 'invalid' | 'wrong_purpose', [CallbacksErrorCode, string]> = {
  malformed: [CallbacksErrorCode.Malformed, 'The data parameter is not a sealed callback value.'],
  unknown_key: [CallbacksErrorCode.UnknownKey, 'The callback was sealed with a key this service does not hold.'],
  invalid: [CallbacksErrorCode.Invalid, 'The callback value failed authentication.'],
  wrong_purpose: [CallbacksErrorCode.WrongPurpose, 'The callback value was sealed for the other callback.'],
};

/**
 * Kernel's callbacks after it creates or removes an authentication session (README, Kernel callbacks). No API key: the
 * sealed `data` parameter is the credential. Checked in an order that leaks nothing — structure, key id,
 * authentication, payload, expiry, redirect target — then consumed (single use) in the same transaction
 * as its effect on the user record, so a token is never burnt without effect, nor used twice.
 */
@Injectable()
export class CallbacksService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CallbacksService.name);
  private readonly cipher: CallbackCipher;
  private readonly redirectOrigins: ReadonlySet<string>;
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly database: Database,
    private readonly repository: CallbacksRepository,
    private readonly users: UsersService,
    private readonly phoneNumbers: PhoneNumbers,
    private readonly audit: AuditService,
    private readonly metrics: CallbacksMetrics,
    private readonly sessions: SessionsService,
    config: CallbacksSettings,
  ) {
    this.cipher = new CallbackCipher(parseCipherKeys(config.CALLBACK_CIPHER_KEYS));
    this.redirectOrigins = new Set(
      (config.CALLBACK_REDIRECT_ALLOWLIST ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== '')
        .map((origin) => new URL(origin).origin),
    );
  }

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => void this.purgeConsumedTokens(), PURGE_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  /**
   * Login callback: the user record of that Kernel session, created if needed (201) or found (200). When it
   * redirects the browser, a browser session of that user opens in the same transaction.
   */
  async login(
    data: string,
    requestId: string,
    userAgent?: string,
    browser: BrowserCredentials = {},
  ): Promise<CallbackOutcome> {
    const payload = this.open(data, CallbackPurpose.Login);
    const redirect = this.redirectTarget(payload);
    const audience = this.sessionAudience(payload);
    // Login CSRF: a callback URL followed in another browser (or planted in a victim's) opens no session there.
    const bound = redirect !== undefined && this.sessions.isLoginBound(payload.state, browser);
    const replacing = bound ? await this.sessions.currentSessionOf(browser) : undefined;
    const outcome = await this.database.transaction(async (tx) => {
      await this.consume(payload, CallbackPurpose.Login, tx);
      const result = await this.users.getOrCreateForKernelSession(payload, tx);
      await this.audit.record(
        {
          action: AuditAction.CallbackLogin,
          subject: this.subjectOf(payload) ?? result.user.auraId,
          recordCount: result.created ? 1 : 0,
          requestId,
          details: { channel: payload.channel, created: result.created },
        },
        tx,
      );
      const session = bound ? await this.sessions.open(result.user, audience, userAgent, tx, replacing) : undefined;
      return { ...result, session };
    });
    this.metrics.accepted(CallbackPurpose.Login);
    if (redirect !== undefined) {
      return { status: 302, location: redirect, session: outcome.session ?? 'none', loginStateUsed: true };
    }
    const { auraId, auraIdGlobal, userId, channel, expiresAt } = outcome.user;
    return { status: outcome.created ? 201 : 200, body: { auraId, auraIdGlobal, userId, channel, expiresAt } };
  }

  /** Logout callback: the record of that session goes (204, also when there was none). */
  async logout(data: string, requestId: string): Promise<CallbackOutcome> {
    const payload = this.open(data, CallbackPurpose.Logout);
    const redirect = this.redirectTarget(payload);
    await this.database.transaction(async (tx) => {
      await this.consume(payload, CallbackPurpose.Logout, tx);
      const deleted = await this.users.deleteForKernelSession(payload, tx);
      await this.audit.record(
        {
          action: AuditAction.CallbackLogout,
          subject: this.subjectOf(payload) ?? payload.auraId ?? `${payload.channel}:${payload.userId}`,
          recordCount: deleted,
          requestId,
          details: { channel: payload.channel },
        },
        tx,
      );
    });
    this.metrics.accepted(CallbackPurpose.Logout);
    return redirect === undefined ? { status: 204 } : { status: 302, location: redirect, session: 'clear' };
  }

  /** GDPR erasure: the consumed tokens that carried this (E.164) phone number, in the erasure's transaction. */
  eraseByPhoneNumber(phoneNumber: string, tx: Tx): Promise<number> {
    return this.repository.eraseBySubject(this.audit.hashIdentifier(phoneNumber), tx);
  }

  async purgeConsumedTokens(): Promise<number> {
    try {
      return await this.repository.purgeExpired(new Date(Date.now() - CLOCK_SKEW_SECONDS * 1000));
    } catch (error) {
      this.logger.warn({ err: error }, 'could not purge consumed callback tokens');
      return 0;
    }
  }

  private open(data: string, purpose: CallbackPurpose): CallbackPayload {
    const opened = this.cipher.open(data, purpose);
    if (!opened.ok) {
      throw this.refuse(purpose, ...FAILURES[opened.reason]);
    }
    if (nestsDeeperThan(opened.plaintext, MAX_JSON_DEPTH)) {
      // Validation recurses into the payload: a deeply nested one would exhaust the stack.
      throw this.refuse(purpose, CallbacksErrorCode.PayloadInvalid, 'The callback payload is nested too deeply.');
    }
    let json: unknown;
    try {
      json = JSON.parse(opened.plaintext);
    } catch {
      throw this.refuse(purpose, CallbacksErrorCode.PayloadInvalid, 'The callback payload is not JSON.');
    }
    const payload = plainToInstance(CallbackPayload, json);
    const errors =
      typeof json === 'object' && json !== null && !Array.isArray(json)
        ? validateSync(payload, { whitelist: true })
        : [];
    if (typeof json !== 'object' || json === null || Array.isArray(json) || errors.length > 0) {
      const fields = errors.map((error) => error.property);
      throw this.refuse(
        purpose,
        CallbacksErrorCode.PayloadInvalid,
        `Invalid callback payload: ${fields.join(', ') || 'not an object'}.`,
        {
          errors: fields.map((field) => ({ field, message: `${field} is invalid` })),
        },
      );
    }
    const now = Date.now() / 1000;
    if (payload.exp - payload.iat > MAX_LIFETIME_SECONDS || payload.exp < payload.iat) {
      throw this.refuse(
        purpose,
        CallbacksErrorCode.PayloadInvalid,
        `A callback may live at most ${MAX_LIFETIME_SECONDS} s.`,
      );
    }
    if (payload.exp + CLOCK_SKEW_SECONDS < now || payload.iat - CLOCK_SKEW_SECONDS > now) {
      throw this.refuse(purpose, CallbacksErrorCode.Expired, 'The callback value has expired.');
    }
    return payload;
  }

  /** The audience of the session a redirecting login opens: the payload's, if allowed, else the default. */
  private sessionAudience(payload: CallbackPayload): string {
    if (payload.audience === undefined) {
      return this.sessions.defaultAudience;
    }
    if (!this.sessions.isAudience(payload.audience)) {
      throw this.refuse(
        CallbackPurpose.Login,
        CallbacksErrorCode.PayloadInvalid,
        'The callback payload names an audience outside SESSION_AUDIENCES.',
        { errors: [{ field: 'audience', message: 'audience is not one of SESSION_AUDIENCES' }] },
      );
    }
    return payload.audience;
  }

  private redirectTarget(payload: CallbackPayload): string | undefined {
    if (payload.redirectUri === undefined) {
      return undefined;
    }
    let url: URL | undefined;
    try {
      url = new URL(payload.redirectUri);
    } catch {
      url = undefined;
    }
    if (url === undefined || !this.redirectOrigins.has(url.origin)) {
      throw this.refuse(undefined, CallbacksErrorCode.RedirectRefused, 'The redirect target is not on the allow-list.');
    }
    return url.toString();
  }

  private async consume(payload: CallbackPayload, purpose: CallbackPurpose, tx: Tx): Promise<void> {
    const fresh = await this.repository.consume(
      { jti: payload.jti, purpose, subjectHash: this.subjectHash(payload), expiresAt: new Date(payload.exp * 1000) },
      tx,
    );
    if (!fresh) {
      throw this.refuse(purpose, CallbacksErrorCode.Replayed, 'The callback value has already been used.');
    }
  }

  /** The person behind the token, for erasure: the normalised phone number, when the token has one. */
  private subjectOf(payload: CallbackPayload): string | undefined {
    return payload.phoneNumber === undefined ? undefined : this.phoneNumbers.tryNormalize(payload.phoneNumber);
  }

  private subjectHash(payload: CallbackPayload): string | null {
    const subject = this.subjectOf(payload);
    return subject === undefined ? null : this.audit.hashIdentifier(subject);
  }

  private refuse(
    purpose: CallbackPurpose | undefined,
    code: CallbacksErrorCode,
    detail: string,
    extensions?: Record<string, unknown>,
  ): CallbacksError {
    this.metrics.refused(purpose, code);
    return new CallbacksError(code, detail, extensions);
  }
}
