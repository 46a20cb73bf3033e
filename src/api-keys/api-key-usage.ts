import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ApiKeysRepository } from 'src/api-keys/api-keys.repository';

const FLUSH_INTERVAL_MS = 60_000;

/**
 * Records `last_used_at` off the request path: uses are collected in memory and written
 * in one statement about once a minute (and at shutdown), so a key's row is written at
 * most once a minute per replica.
 */
@Injectable()
export class ApiKeyUsage implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyUsage.name);
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly keys: ApiKeysRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  touch(keyId: string): void {
    this.pending.add(keyId);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) {
      return;
    }
    const ids = [...this.pending];
    this.pending = new Set();
    try {
      await this.keys.touchLastUsed(ids, new Date());
    } catch (error) {
      this.logger.warn({ err: error, keys: ids.length }, 'could not record API key usage');
    }
  }
}
