import { hash, randomBytes, randomUUID } from 'node:crypto';

/** Random part of a refresh token: 32 bytes, 256 bits. */
const SECRET_BYTES = 32;
const FORMAT = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/**
 * An opaque refresh token: `<session id>.<256 random bits, base64url>`. Only its SHA-256 is stored. The
 * session id in front lets a rotated-away token be recognised as reuse of that session.
 */
export interface RefreshToken {
  sessionId: string;
  value: string;
  hash: string;
}

export function newSessionId(): string {
  return randomUUID();
}

export function newRefreshToken(sessionId: string): RefreshToken {
  const value = `${sessionId}.${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { sessionId, value, hash: hashRefreshToken(value) };
}

/** The session id and hash of a presented token; undefined when it is not shaped like one of ours. */
export function parseRefreshToken(value: string | undefined): Omit<RefreshToken, 'value'> | undefined {
  const match = value === undefined ? null : FORMAT.exec(value);
  return match === null || value === undefined ? undefined : { sessionId: match[1], hash: hashRefreshToken(value) };
}

export function hashRefreshToken(value: string): string {
  return hash('sha256', value, 'hex');
}

/** A CSRF token: 256 random bits, base64url. */
export function newCsrfToken(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}
