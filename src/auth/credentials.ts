import type { FastifyRequest } from 'fastify';
import { AuthError, AuthErrorCode } from 'src/auth/auth.errors';

/**
 * The one place that reads credentials from a request. Strategies, the guard's limiter check and the session
 * API's own cookie exchange all read through these functions, so a key is never read by two different rules.
 */

export const API_KEY_HEADER = 'x-api-key';
export const API_KEY_QUERY_PARAM = 'apiKey';
export const ACCESS_COOKIE = 'authara_access';
export const DEVICE_TOKEN_HEADER = 'x-gvp-token';
export const DEVICE_TOKEN_QUERY_PARAM = 'token';

/** `Authorization: APIKEY <key>`; the scheme is case-insensitive (RFC 9110 §11.1). */
const AUTHORIZATION_API_KEY = /^apikey +(\S+) *$/i;
const MAX_COOKIE_LENGTH = 4096;

/** The API key a request presents, if any; `unusable` when a key header was sent but holds no usable key. */
export interface PresentedApiKey {
  key: string | undefined;
  unusable: boolean;
}

type Query = Record<string, unknown> | undefined;

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The API key of a request, from `Authorization: APIKEY <key>`, `X-API-Key: <key>`, and `?apiKey=` where
 * APIKEY_QUERY_PARAM_ENABLED allows it. Two different keys are refused (400 `ambiguous_credentials`): no
 * order of precedence can then be abused to try one key while being judged on another.
 */
export function presentedApiKey(request: FastifyRequest, queryEnabled: boolean): PresentedApiKey {
  const { authorization } = request.headers;
  const fromAuthorization =
    typeof authorization === 'string' ? AUTHORIZATION_API_KEY.exec(authorization)?.[1] : undefined;
  const fromHeader = nonEmpty(request.headers[API_KEY_HEADER]);
  const fromQuery = queryEnabled ? nonEmpty((request.query as Query)?.[API_KEY_QUERY_PARAM]) : undefined;
  const found = [...new Set([fromAuthorization, fromHeader, fromQuery].filter((key) => key !== undefined))];
  if (found.length > 1) {
    throw new AuthError(
      AuthErrorCode.AmbiguousCredentials,
      'The request carries two different API keys; send one, as `Authorization: APIKEY <key>` or `X-API-Key`.',
    );
  }
  const unusable = found.length === 0 && (authorization !== undefined || request.headers[API_KEY_HEADER] !== undefined);
  return { key: found[0], unusable };
}

/**
 * A query-string key is a credential, not an input of the route: once read, it is taken out of the query so
 * that validation (which refuses unknown parameters) and the access log never see it.
 */
export function consumeQueryApiKey(request: FastifyRequest): void {
  const query = request.query as Query;
  if (query !== undefined && API_KEY_QUERY_PARAM in query) {
    delete query[API_KEY_QUERY_PARAM];
  }
}

/** A cookie of the request, when it is there and not absurdly long. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  // Parsed on first use (the cookie plugin has no request hook): most requests are not browser sessions.
  request.cookies ??= request.server.parseCookie(request.headers.cookie ?? '');
  const value = request.cookies[name];
  return typeof value === 'string' && value !== '' && value.length <= MAX_COOKIE_LENGTH ? value : undefined;
}

/** The access token of a browser session (`authara_access` cookie). */
export function presentedSessionToken(request: FastifyRequest): string | undefined {
  return readCookie(request, ACCESS_COOKIE);
}

/** The GVP device token: `?token=` as GVP sends it, or the `X-GVP-Token` header. */
export function presentedDeviceToken(request: FastifyRequest): string | undefined {
  return (
    nonEmpty((request.query as Query)?.[DEVICE_TOKEN_QUERY_PARAM]) ?? nonEmpty(request.headers[DEVICE_TOKEN_HEADER])
  );
}
