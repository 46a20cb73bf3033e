import { KernelFailure } from 'src/kernel/kernel-failure';

/** Longest identifier or token accepted from Kernel. */
const MAX_ID_LENGTH = 128;
const MAX_TOKEN_LENGTH = 8192;

/** What this service uses of Kernel's token answer (RFC 6749 §5.1). */
export interface KernelAccessToken {
  accessToken: string;
  /** Kernel's authorization (session) id, when it sends one. */
  authorizationId: string | null;
}

/** What this service uses of Kernel's user profile. */
export interface KernelUserProfile {
  userId: string;
  /** As Kernel wrote it; normalised by the caller. */
  phoneNumber: string | null;
  subscriptionType: string | null;
  authorizationId: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown, maxLength: number, field: string): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new KernelFailure('bad_response', `Kernel answered an invalid ${field}`);
  }
  return value;
}

/** `{ access_token, token_type: "Bearer", expires_in, scope, purpose?, authorization_id? }`. */
export function parseAccessToken(body: unknown): KernelAccessToken {
  if (!isRecord(body)) {
    throw new KernelFailure('bad_response', 'Kernel answered a token document that is not a JSON object');
  }
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn } = body;
  if (typeof accessToken !== 'string' || accessToken.length === 0 || accessToken.length > MAX_TOKEN_LENGTH) {
    throw new KernelFailure('bad_response', 'Kernel answered without a usable access_token');
  }
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw new KernelFailure('bad_response', 'Kernel answered a token_type other than Bearer');
  }
  if (expiresIn !== undefined && (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0)) {
    throw new KernelFailure('bad_response', 'Kernel answered an invalid expires_in');
  }
  return {
    accessToken,
    authorizationId: optionalString(body.authorization_id, 256, 'authorization_id'),
  };
}

/**
 * `{ id, phone_number?, subscription_type?, authorization_id? }`. A search that found nothing — `null`, `{}` or
 * `[]` — means Kernel does not know the subscriber (GVP's 321), not that it failed.
 */
export function parseUserProfile(body: unknown): KernelUserProfile {
  if (body === null || (typeof body === 'object' && Object.keys(body).length === 0)) {
    throw new KernelFailure('subject_unknown', 'Kernel found no profile for the subscriber');
  }
  if (!isRecord(body)) {
    throw new KernelFailure('bad_response', 'Kernel answered a profile that is not a JSON object');
  }
  const id = typeof body.id === 'number' && Number.isSafeInteger(body.id) ? String(body.id) : body.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new KernelFailure('bad_response', 'Kernel answered a profile without a usable id');
  }
  return {
    userId: id,
    phoneNumber: optionalString(body.phone_number, 64, 'phone_number'),
    subscriptionType: optionalString(body.subscription_type, 32, 'subscription_type'),
    authorizationId: optionalString(body.authorization_id, 256, 'authorization_id'),
  };
}
