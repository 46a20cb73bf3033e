import { type KeyObject, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, type JWTPayload } from 'jose';
import { ServerSettings } from 'src/config/server.settings';
import { issuerUrl } from 'src/openid/openid-urls';
import { SigningKeyState, type PublicJwk, type SigningAlgorithm, type SigningKey } from 'src/openid/signing-keys';

/** Injection token of the validated signing keys (active first), loaded once at boot. */
export const SIGNING_KEYS = Symbol('SIGNING_KEYS');

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 300;
/**
 * Longest lifetime of a token this service signs. The key rotation timeline (docs/signing-keys.md)
 * counts on it: a retired key stays published at least this long after it stopped signing.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 3600;

export interface SignOptions {
  /** Seconds from now until `exp` when the claims carry none (default 300, at most 3600). */
  expiresInSeconds?: number;
  /** `typ` header (default `JWT`). */
  type?: string;
}

/** A key this service signs with: the active one, private part present. */
type PrivateSigningKey = SigningKey & { privateKey: KeyObject };

/**
 * The configured keys: signs with the active private key — only ever a key whose private part this
 * service holds — and lists the public halves of every configured key (its own active, published and
 * retired keys, and the public-only keys of others, such as aura-bot's) for the JWKS.
 */
@Injectable()
export class KeysService {
  private readonly active: PrivateSigningKey | undefined;
  /** `iss` of every token this service signs. */
  readonly issuer: string;

  constructor(
    @Inject(SIGNING_KEYS) private readonly keys: readonly SigningKey[],
    config: ServerSettings,
  ) {
    this.active = keys.find(
      (key): key is PrivateSigningKey => key.state === SigningKeyState.Active && key.privateKey !== undefined,
    );
    this.issuer = issuerUrl(config);
  }

  /** kid of the key that signs now; undefined when only public keys are configured. */
  get activeKid(): string | undefined {
    return this.active?.kid;
  }

  /** Public JWKs of every key verifiers must know, the active one first. */
  publicKeys(): PublicJwk[] {
    return this.keys.map((key) => key.publicJwk);
  }

  /**
   * Public JWKs of the keys this service holds the private part of: what verifies its own tokens. The
   * public-only keys of others (aura-bot's) are left out, so a token they sign never passes for ours.
   */
  ownPublicKeys(): PublicJwk[] {
    return this.keys.filter((key) => key.privateKey !== undefined).map((key) => key.publicJwk);
  }

  /** Algorithms of the published keys, without repeats. */
  algorithms(): SigningAlgorithm[] {
    return [...new Set(this.keys.map((key) => key.alg))];
  }

  /**
   * A compact JWS of the claims, signed by the active private key (header `alg`, `kid`, `typ`). Adds
   * `iat` (now), and unless given: `iss` (this service's issuer), `exp` and a random `jti`.
   * Refuses a lifetime beyond MAX_TOKEN_LIFETIME_SECONDS, which key rotation relies on.
   */
  async sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const exp = claims.exp ?? now + (options.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS);
    const lifetime = exp - now;
    if (!Number.isInteger(exp) || lifetime <= 0 || lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new RangeError(`Token lifetime must be 1-${MAX_TOKEN_LIFETIME_SECONDS} seconds, got ${lifetime}`);
    }
    const signer = this.active;
    if (signer === undefined) {
      throw new Error('No private signing key is configured: this instance only publishes public keys');
    }
    const payload: JWTPayload = { iss: this.issuer, jti: randomUUID(), ...claims, iat: now, exp };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: options.type ?? 'JWT' })
      .sign(signer.privateKey);
  }
}
