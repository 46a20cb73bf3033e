import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';
import { ApiKeysSettings } from 'src/api-keys/api-keys.settings';
import { Invalidations } from 'src/invalidation/invalidations';

/** Kind of the invalidation published when a key changes (revoked, rotated); its id is the key's public prefix. */
export const API_KEY_INVALIDATION = 'api-key';
/** Kind published when a key is created: replicas only learn its id (nothing of theirs is stale). */
export const API_KEY_CREATED = 'api-key-created';

const TICK_MS = 1_000;

/**
 * The public ids (prefixes) of every key in the database, held in memory so that a key whose id does not
 * exist is refused without a database round trip. Keys are few; the set is read at start, updated by
 * `api-key` invalidations as keys are created or rotated anywhere, re-read every APIKEY_ID_REFRESH_SECONDS
 * (every INVALIDATION_FALLBACK_TTL_SECONDS while notifications are not being received) and after the
 * listening connection comes back. Until it has been read once, every key goes to the database.
 */
@Injectable()
export class ApiKeyIds implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyIds.name);
  private prefixes?: Set<string>;
  /** Prefixes announced while a read is in flight: that read may predate them, so they are kept across it. */
  private announced?: Set<string>;
  private readAt = 0;
  private reading?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly config: ApiKeysSettings,
    private readonly invalidations: Invalidations,
  ) {
    const learn = (prefix: string) => {
      this.prefixes?.add(prefix);
      this.announced?.add(prefix);
    };
    invalidations.on(API_KEY_CREATED, learn);
    invalidations.on(API_KEY_INVALIDATION, learn);
    invalidations.onReset(() => void this.refresh());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      const everyMs =
        (this.invalidations.listening
          ? this.config.APIKEY_ID_REFRESH_SECONDS
          : Math.max(1, this.config.INVALIDATION_FALLBACK_TTL_SECONDS)) * 1000;
      if (Date.now() - this.readAt >= everyMs) {
        void this.refresh();
      }
    }, TICK_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** False only when the prefix is certainly not a key's; true when it is, or when the set is not known yet. */
  mayExist(prefix: string): boolean {
    return this.prefixes === undefined || this.prefixes.has(prefix);
  }

  /** One read at a time; a failed read keeps the previous set (or none) and is retried on the next tick. */
  refresh(): Promise<void> {
    if (this.reading !== undefined) {
      return this.reading;
    }
    const announced = (this.announced = new Set());
    this.reading = this.keys
      .listPrefixes()
      .then(
        (prefixes) => {
          this.prefixes = new Set([...prefixes, ...announced]);
          this.readAt = Date.now();
        },
        (error: unknown) => this.logger.warn({ err: error }, 'could not read the API key ids'),
      )
      .finally(() => {
        this.reading = undefined;
        this.announced = undefined;
      });
    return this.reading;
  }
}
