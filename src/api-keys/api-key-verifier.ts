import { Injectable } from '@nestjs/common';
import type { ApiKey } from 'src/api-keys/api-key.entity';
import { hashApiKey, parseApiKey } from 'src/api-keys/api-key-format';
import { ApiKeyUsage } from 'src/api-keys/api-key-usage';
import { ApiKeyError, type ApiKeyRejection } from 'src/api-keys/api-keys.errors';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { AuthFailures } from 'src/common/access/auth-failures';
import type { AuthenticatedKey } from 'src/common/access/caller';
import { AppConfig } from 'src/config/app-config';

const MAX_CACHED_KEYS = 10_000;

/** What the cache remembers of a key: enough to decide without the database. */
interface CachedKey {
  key: AuthenticatedKey;
  expiresAt: number | null;
  revoked: boolean;
  /** When this entry must be read again from the database. */
  staleAt: number;
}

/** A hash that matched no key. Keys are random, so such a hash can never become valid: safe to remember. */
interface CachedUnknown {
  unknown: true;
  staleAt: number;
}

/**
 * Verifies API keys on the request path. Verified keys (and unknown hashes) are cached for
 * APIKEY_CACHE_TTL_SECONDS, so a known key costs one SHA-256 and a map lookup; the bound on
 * how late a revocation is noticed is that TTL.
 */
@Injectable()
export class ApiKeyVerifier {
  /** Verified keys, and apart from them unknown hashes: a flood of random keys cannot evict real ones. */
  private readonly known = new Map<string, CachedKey>();
  private readonly unknown = new Map<string, CachedUnknown>();
  private readonly ttlMs: number;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly usage: ApiKeyUsage,
    private readonly config: AppConfig,
    private readonly failures: AuthFailures,
  ) {
    this.ttlMs = config.APIKEY_CACHE_TTL_SECONDS * 1000;
  }

  async verify(text: string): Promise<AuthenticatedKey> {
    const parsed = parseApiKey(text);
    if (parsed === undefined) {
      throw this.reject('malformed');
    }
    if (parsed.environment !== this.config.APIKEY_ENVIRONMENT) {
      throw this.reject('foreign_environment');
    }
    const hash = hashApiKey(text);
    const now = Date.now();
    let entry: CachedKey | CachedUnknown | undefined = this.known.get(hash) ?? this.unknown.get(hash);
    if (entry === undefined || entry.staleAt <= now) {
      entry = this.toEntry(await this.keys.findBySecretHash(hash), now);
      this.remember(hash, entry);
    }
    if ('unknown' in entry) {
      throw this.reject('unknown');
    }
    if (entry.revoked) {
      throw this.reject('revoked');
    }
    if (entry.expiresAt !== null && entry.expiresAt <= now) {
      throw this.reject('expired');
    }
    this.usage.touch(entry.key.id);
    return entry.key;
  }

  private reject(reason: ApiKeyRejection): ApiKeyError {
    this.failures.record(reason);
    return ApiKeyError.invalid(reason);
  }

  private toEntry(row: ApiKey | null, now: number): CachedKey | CachedUnknown {
    const staleAt = now + this.ttlMs;
    if (row === null) {
      return { unknown: true, staleAt };
    }
    return {
      key: { id: row.id, name: row.name, prefix: row.prefix, tier: row.tier, channel: row.channel },
      expiresAt: row.expiresAt?.getTime() ?? null,
      revoked: row.revokedAt !== null,
      staleAt,
    };
  }

  private remember(hash: string, entry: CachedKey | CachedUnknown): void {
    if (this.ttlMs === 0) {
      return;
    }
    if ('unknown' in entry) {
      remember(this.unknown, hash, entry);
    } else {
      this.unknown.delete(hash);
      remember(this.known, hash, entry);
    }
  }
}

/** Bounded insertion: Maps iterate in insertion order, so the first entry is the oldest. */
function remember<T>(cache: Map<string, T>, hash: string, entry: T): void {
  cache.delete(hash);
  if (cache.size >= MAX_CACHED_KEYS) {
    cache.delete(cache.keys().next().value as string);
  }
  cache.set(hash, entry);
}
