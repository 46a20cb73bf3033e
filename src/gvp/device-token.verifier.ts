import { Injectable, Logger } from '@nestjs/common';
import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { GvpSettings } from 'src/gvp/gvp.settings';
import { GvpKeySet } from 'src/gvp/gvp-key-set';
import { GvpError, GvpStatusCode } from 'src/gvp/gvp.errors';

/** Only asymmetric signatures: never `none`, never an HMAC whose key could be the public one. */
export const DEVICE_TOKEN_ALGORITHMS = ['RS256', 'ES256'];
/** Longest device token read; a GVP session token is well under 2 KiB. */
const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MAX_ID_LENGTH = 128;

/** Errors that say the token itself is bad (rather than that GVP's keys could not be had). */
const TOKEN_ERRORS = new Set<string>([
  errors.JWTClaimValidationFailed.code,
  errors.JWTExpired.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWSInvalid.code,
  errors.JWTInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
  errors.JWKInvalid.code,
]);

/** Who signed in: the device and its subscriber (Kernel's unique id of the person). */
export interface DeviceIdentity {
  deviceId: string;
  subscriber: string;
}

/**
 * Verifies GVP device tokens with jose: GVP's keys (remote JWKS through GvpKeySet — cached, refetched on an
 * unknown kid at most once per GVP_JWKS_MIN_REFRESH_SECONDS, failures remembered, stale keys served while the
 * JWKS is down; or inline), issuer, audience, RS256/ES256 only, typ JWT when
 * present, expiry and iat with at most GVP_CLOCK_SKEW_SECONDS of skew, lifetime at most
 * GVP_TOKEN_MAX_LIFETIME_SECONDS.
 */
@Injectable()
export class DeviceTokenVerifier {
  private readonly logger = new Logger(DeviceTokenVerifier.name);
  private readonly keys: JWTVerifyGetKey | undefined;

  constructor(private readonly config: GvpSettings) {
    if (config.GVP_JWKS_URL !== undefined) {
      this.keys = new GvpKeySet(new URL(config.GVP_JWKS_URL), config.GVP_JWKS_MIN_REFRESH_SECONDS * 1000).getKey;
    } else if (config.GVP_JWKS !== undefined) {
      this.keys = createLocalJWKSet(JSON.parse(config.GVP_JWKS) as JSONWebKeySet);
    }
  }

  /** Throws a GvpError: 380 when sign-in is not configured, 30 for any bad token, 381 when GVP's keys cannot be fetched. */
  async verify(token: string | undefined): Promise<DeviceIdentity> {
    // No credential at all is refused as such (30), configured or not: the boundary's rule for every route.
    if (token === undefined || token.length === 0) {
      throw authenticationRequired('no device token');
    }
    const { GVP_ISSUER: issuer, GVP_AUDIENCE: audience } = this.config;
    if (this.keys === undefined || issuer === undefined || audience === undefined) {
      throw new GvpError(
        GvpStatusCode.DeviceSignInNotConfigured,
        503,
        'not_configured',
        'GVP sign-in is not configured (GVP_JWKS_URL or GVP_JWKS, GVP_ISSUER, GVP_AUDIENCE)',
      );
    }
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
      throw authenticationRequired('the device token is not a compact JWS');
    }
    let payload: JWTPayload;
    let header: JWTHeaderParameters;
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, this.keys, {
        issuer,
        audience,
        algorithms: DEVICE_TOKEN_ALGORITHMS,
        clockTolerance: this.config.GVP_CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'sub', this.config.GVP_DEVICE_CLAIM],
      }));
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && TOKEN_ERRORS.has(code)) {
        throw authenticationRequired(`the device token was refused (${code})`);
      }
      this.logger.warn({ err: error }, "GVP's device-token keys could not be fetched (GVP_JWKS_URL)");
      throw new GvpError(
        GvpStatusCode.DeviceKeysNotAvailable,
        503,
        'device_keys_unavailable',
        "GVP's device-token keys could not be fetched",
      );
    }
    this.checkLimits(header, payload);
    const deviceId = payload[this.config.GVP_DEVICE_CLAIM];
    const subscriber = payload.sub;
    if (typeof deviceId !== 'string' || deviceId.length === 0 || deviceId.length > MAX_ID_LENGTH) {
      throw authenticationRequired(`the device token has no usable ${this.config.GVP_DEVICE_CLAIM} claim`);
    }
    if (typeof subscriber !== 'string' || subscriber.length === 0 || subscriber.length > 256) {
      throw authenticationRequired('the device token has no usable sub claim');
    }
    return { deviceId, subscriber };
  }

  /**
   * What jose leaves to the caller: `iat` in the future beyond the skew (jose only checks `iat` against a max
   * age), a lifetime beyond GVP_TOKEN_MAX_LIFETIME_SECONDS, and a `typ` other than JWT when there is one.
   */
  private checkLimits(header: JWTHeaderParameters, payload: JWTPayload): void {
    if (header.typ !== undefined && !/^(application\/)?jwt$/i.test(header.typ)) {
      throw authenticationRequired('the device token typ is not JWT');
    }
    const now = Math.floor(Date.now() / 1000);
    const skew = this.config.GVP_CLOCK_SKEW_SECONDS;
    if (payload.iat !== undefined && payload.iat > now + skew) {
      throw authenticationRequired('the device token was issued in the future');
    }
    const exp = payload.exp ?? 0; // required, and checked by jose
    const lifetime = exp - Math.min(payload.iat ?? now, now);
    if (lifetime > this.config.GVP_TOKEN_MAX_LIFETIME_SECONDS + skew) {
      throw authenticationRequired('the device token lives longer than GVP_TOKEN_MAX_LIFETIME_SECONDS');
    }
  }
}

function authenticationRequired(reason: string): GvpError {
  return new GvpError(GvpStatusCode.AuthenticationRequired, 401, 'authentication_required', reason, {
    'www-authenticate': 'Bearer realm="gvp", error="invalid_token"',
  });
}
