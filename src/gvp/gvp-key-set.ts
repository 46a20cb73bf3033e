import { Logger } from '@nestjs/common';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** How long a fetched key set is used without refetching, even when every kid is known. */
const JWKS_CACHE_MAX_AGE_MS = 10 * 60 * 1000;
/** How long past that the last good key set is still used while GVP_JWKS_URL fails (stale-if-error, bounded). */
export const JWKS_STALE_IF_ERROR_MS = 60 * 60 * 1000;
const JWKS_FETCH_TIMEOUT_MS = 2_000;
const MAX_JWKS_BYTES = 256 * 1024;

/** GVP's keys could not be had: neither a fetch nor a usable last good key set (answered 381, not 30). */
export class GvpKeysUnavailable extends Error {
  override readonly name = 'GvpKeysUnavailable';
}

/**
 * GVP's remote JWKS, with memory of failures. jose's remote key set refetches on every unknown kid after its
 * cool-down and remembers no failure: a JWKS answering 500 was fetched again by each such token, a hanging one held
 * every sign-in for the whole fetch timeout. Here:
 * - one fetch at a time, shared; at most one per GVP_JWKS_MIN_REFRESH_SECONDS, failed or not — a failure is
 *   remembered for that back-off and answered from (381, or the last good keys) without another fetch;
 * - the last good key set keeps being used while the JWKS is down, up to JWKS_STALE_IF_ERROR_MS past its
 *   freshness; a known kid never waits for a fetch (a stale set is refreshed behind the answer);
 * - an unknown kid waits for a refetch when one is allowed (key rotation), else is refused as unknown.
 */
export class GvpKeySet {
  private readonly logger = new Logger(GvpKeySet.name);
  private good: { keys: LocalKeySet; fetchedAt: number } | undefined;
  /** When the last fetch started or, once it is over, ended: the back-off runs from there (a hang included). */
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private failed = false;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly url: URL,
    private readonly minRefreshMs: number,
  ) {}

  /** For jwtVerify. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const good = this.usable();
    if (good === undefined) {
      if (!this.mayFetch()) {
        throw new GvpKeysUnavailable('GVP_JWKS_URL failed recently (remembered for GVP_JWKS_MIN_REFRESH_SECONDS)');
      }
      await this.refresh();
      const fetched = this.usable();
      if (fetched === undefined) {
        throw new GvpKeysUnavailable('GVP_JWKS_URL could not be fetched');
      }
      return fetched.keys(header, token);
    }
    if (Date.now() - good.fetchedAt >= JWKS_CACHE_MAX_AGE_MS && this.mayFetch()) {
      void this.refresh();
    }
    try {
      return await good.keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !this.mayFetch()) {
        throw error;
      }
    }
    // An unknown kid, and a fetch allowed: GVP may have rotated its keys.
    await this.refresh();
    if (this.failed) {
      throw new GvpKeysUnavailable('GVP_JWKS_URL could not be fetched for an unknown kid');
    }
    return (this.usable() ?? good).keys(header, token);
  };

  /** The last good key set while it may be used (fresh, or stale within the bound). */
  private usable(): { keys: LocalKeySet; fetchedAt: number } | undefined {
    const good = this.good;
    return good !== undefined && Date.now() - good.fetchedAt < JWKS_CACHE_MAX_AGE_MS + JWKS_STALE_IF_ERROR_MS
      ? good
      : undefined;
  }

  /** A fetch under way may be joined; a new one only once per back-off, whatever the last one gave. */
  private mayFetch(): boolean {
    return this.inFlight !== undefined || Date.now() - this.lastFetchAt >= this.minRefreshMs;
  }

  private refresh(): Promise<void> {
    if (this.inFlight === undefined) {
      this.lastFetchAt = Date.now();
      this.inFlight = this.fetchKeys()
        .then(
          (keys) => {
            this.good = { keys: createLocalJWKSet(keys), fetchedAt: Date.now() };
            this.failed = false;
          },
          (error: unknown) => {
            this.failed = true;
            this.logger.warn(
              { err: error },
              "GVP's device-token keys could not be fetched (GVP_JWKS_URL); remembered for GVP_JWKS_MIN_REFRESH_SECONDS" +
                (this.usable() === undefined ? '' : ', the last good keys are used meanwhile'),
            );
          },
        )
        .finally(() => {
          this.lastFetchAt = Date.now();
          this.inFlight = undefined;
        });
    }
    return this.inFlight;
  }

  private async fetchKeys(): Promise<JSONWebKeySet> {
    const response = await fetch(this.url, {
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`GVP_JWKS_URL answered ${response.status}`);
    }
    const text = await response.text();
    if (text.length > MAX_JWKS_BYTES) {
      throw new Error('GVP_JWKS_URL answered a key set too large');
    }
    const body = JSON.parse(text) as { keys?: unknown } | null;
    if (body === null || typeof body !== 'object' || !Array.isArray(body.keys)) {
      throw new Error('GVP_JWKS_URL answered something that is not a JWKS');
    }
    return body as JSONWebKeySet;
  }
}
