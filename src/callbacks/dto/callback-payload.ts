import { IsInt, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsOmittable } from 'src/common/http/validation';
import { IsAuraId, IsChannel, IsIdentifier, IsPhoneNumberText, IsSubscriptionType } from 'src/users/dto/user-fields';
import type { SubscriptionType } from 'src/users/user.entity';

/** Unix seconds in a sane range (2020 … 2100). */
const MIN_EPOCH = 1_577_836_800;
const MAX_EPOCH = 4_102_444_800;

/**
 * What Kernel seals into a callback's `data` parameter (format v1, README "Kernel callbacks").
 * Unknown members are ignored, so Kernel can add fields without breaking the callback.
 */
export class CallbackPayload {
  /** The auraId to use for a new record (login); generated when absent. */
  @IsOmittable()
  @IsAuraId()
  auraId?: string;

  @IsChannel()
  channel: string;

  @IsIdentifier(128)
  userId: string;

  @IsIdentifier(256)
  authorizationId: string;

  @IsOmittable()
  @IsIdentifier(128)
  auraIdGlobal?: string;

  @IsOmittable()
  @IsPhoneNumberText()
  phoneNumber?: string;

  @IsOmittable()
  @IsSubscriptionType()
  subscriptionType?: SubscriptionType;

  /** Where to send the browser afterwards; its origin must be on CALLBACK_REDIRECT_ALLOWLIST. */
  @IsOmittable()
  @IsString()
  @MaxLength(2048)
  redirectUri?: string;

  /** Audience of the browser session a redirecting login opens (one of SESSION_AUDIENCES); default: the first. */
  @IsOmittable()
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'audience must be 1-32 lowercase letters, digits, "-" or "_"' })
  audience?: string;

  /**
   * The browser's login state (POST /auth/api/v1/login/state), sealed by Kernel as it received it: a redirecting
   * login opens a session only in the browser holding the matching `authara_login_state` cookie.
   */
  @IsOmittable()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{16,128}$/, { message: 'state must be 16-128 letters, digits, "-" or "_"' })
  state?: string;

  /** Issued at, Unix seconds. */
  @IsInt()
  @Min(MIN_EPOCH)
  @Max(MAX_EPOCH)
  iat: number;

  /** Expiry, Unix seconds. */
  @IsInt()
  @Min(MIN_EPOCH)
  @Max(MAX_EPOCH)
  exp: number;

  /** Unique token id: single use. */
  @IsString()
  @Length(16, 64)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'jti must be 16-64 letters, digits, "-" or "_"' })
  jti: string;
}
