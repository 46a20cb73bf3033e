import { Injectable } from '@nestjs/common';
import { displayPrefix, hashApiKey, parseApiKey } from 'src/api-keys/api-key-format';
import { API_KEY_INVALIDATION, ApiKeyIds } from 'src/api-keys/api-key-ids';
import { ApiKeyUsage } from 'src/api-keys/api-key-usage';
import { ApiKeyError, type ApiKeyRejection } from 'src/api-keys/api-keys.errors';
import { type ApiKeyRecord, ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { AuthFailures } from 'src/auth/auth-failures';
import type { ApiKeyCaller } from 'src/auth/caller';
import { ApiKeysSettings } from 'src/api-keys/api-keys.settings';
import { Invalidations } from 'src/invalidation/invalidations';

const MAX_CACHED_KEYS = 10_000;

/** What the cache remembers of a key: enough to decide without the database. */
interface CachedKey {
  key: ApiKeyCaller;
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
 * APIKEY_CACHE_TTL_SECONDS, so a known key costs one SHA-256 and a map lookup. A revocation or rotation
 * anywhere drops the key from every replica's cache through an invalidation (docs/revocation.md); while
 * this replica does not receive them, entries live INVALIDATION_FALLBACK_TTL_SECONDS at most. The TTL is
 * the upper bound in every case. A key whose public id is not a key's is refused without the database.
 */
@Injectable()
export class ApiKeyVerifier {
  /** Verified keys, and apart from them unknown hashes: a flood of random keys cannot evict real ones. */
  private readonly known = new Map<string, CachedKey>();
  private readonly unknown = new Map<string, CachedUnknown>();
  private readonly ttlMs: number;
  private readonly fallbackTtlMs: number;
  /** Counts invalidations and resets, so that a database read that overlapped one is not cached. */
  private generation = 0;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly usage: ApiKeyUsage,
    private readonly config: ApiKeysSettings,
    private readonly ids: ApiKeyIds,
    private readonly invalidations: Invalidations,
    private readonly failures: AuthFailures,
  ) {
    this.ttlMs = config.APIKEY_CACHE_TTL_SECONDS * 1000;
    this.fallbackTtlMs = Math.min(this.ttlMs, config.INVALIDATION_FALLBACK_TTL_SECONDS * 1000);
    invalidations.on(API_KEY_INVALIDATION, (prefix) => this.forget(prefix));
    invalidations.onReset(() => {
      this.generation++;
      this.known.clear();
      this.unknown.clear();
    });
  }

  /** A key this replica verified and still trusts, decided from memory alone (no database, no metrics). */
  isTrusted(text: string): boolean {
    if (parseApiKey(text) === undefined) {
      return false;
    }
    const entry = this.known.get(hashApiKey(text));
    const now = Date.now();
    return (
      entry !== undefined &&
      entry.staleAt > now &&
      !entry.revoked &&
      (entry.expiresAt === null || entry.expiresAt > now)
    );
  }

  async verify(text: string): Promise<ApiKeyCaller> {
    const parsed = parseApiKey(text);
    if (parsed === undefined) {
      throw this.refuse('malformed');
    }
    if (parsed.environment !== this.config.APIKEY_ENVIRONMENT) {
      throw this.refuse('foreign_environment');
    }
    if (!this.ids.mayExist(displayPrefix(parsed.environment, parsed.publicId))) {
      throw this.refuse('unknown');
    }
    const hash = hashApiKey(text);
    const now = Date.now();
    let entry: CachedKey | CachedUnknown | undefined = this.known.get(hash) ?? this.unknown.get(hash);
    if (entry === undefined || entry.staleAt <= now) {
      const generation = this.generation;
      entry = this.toEntry(await this.keys.findBySecretHash(hash), now);
      // A row read before an invalidation arrived may be the old one: use it for this request, never cache it.
      if (generation === this.generation) {
        this.remember(hash, entry);
      }
    }
    if ('unknown' in entry) {
      throw this.refuse('unknown');
    }
    if (entry.revoked) {
      throw this.refuse('revoked');
    }
    if (entry.expiresAt !== null && entry.expiresAt <= now) {
      throw this.refuse('expired');
    }
    this.usage.touch(entry.key.id);
    return entry.key;
  }

  /** Counts the refusal (auth_failures_total) and returns the one error every invalid key gets. */
  refuse(reason: ApiKeyRejection): ApiKeyError {
    this.failures.record(reason);
    return ApiKeyError.invalid(reason);
  }

  /** Drops a changed key (by its prefix) from the cache: the next request reads its row again. */
  private forget(prefix: string): void {
    this.generation++;
    for (const [hash, entry] of this.known) {
      if (entry.key.prefix === prefix) {
        this.known.delete(hash);
      }
    }
  }

  private toEntry(row: ApiKeyRecord | undefined, now: number): CachedKey | CachedUnknown {
    const staleAt = now + (this.invalidations.listening ? this.ttlMs : this.fallbackTtlMs);
    if (row === undefined) {
      return { unknown: true, staleAt };
    }
    return {
      key: { kind: 'api-key', id: row.id, name: row.name, prefix: row.prefix, tier: row.tier, channel: row.channel },
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
