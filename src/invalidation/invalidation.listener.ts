import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Client, type Notification } from 'pg';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { getPGliteInstance } from 'typeorm-pglite';
import { DatabaseSettings } from 'src/database/database.settings';
import {
  INVALIDATION_DELAY,
  INVALIDATION_LISTENER_CONNECTED,
  INVALIDATIONS_RECEIVED,
} from 'src/invalidation/invalidation.metrics';
import { INVALIDATION_CHANNEL, Invalidations } from 'src/invalidation/invalidations';

/** How the listening connection shows in pg_stat_activity (with the process id: operators and tests find it by it). */
export const LISTENER_APPLICATION_NAME = `aura-authentication-api:invalidation:${process.pid}`;

const RECONNECT_INITIAL_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** A connection cut without a FIN (network partition) is noticed by a periodic round trip on it. */
const HEARTBEAT_MS = 5_000;

/**
 * One dedicated connection per replica that LISTENs for invalidations and applies them.
 * When it drops, the caches are flushed and fall back to a short TTL (Invalidations.listening = false)
 * while it reconnects with jittered exponential backoff; once listening again, they are flushed once
 * more (notifications sent meanwhile are lost) and trust notifications again.
 * With the embedded database (PGlite) the same happens on its one session: notifications then only
 * ever come from this process.
 */
@Injectable()
export class InvalidationListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InvalidationListener.name);
  private client?: Client;
  private unlistenEmbedded?: () => Promise<void>;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private backoffMs = RECONNECT_INITIAL_MS;
  private stopped = false;

  constructor(
    private readonly invalidations: Invalidations,
    private readonly config: DatabaseSettings,
    @InjectMetric(INVALIDATIONS_RECEIVED) private readonly received: Counter<'kind'>,
    @InjectMetric(INVALIDATION_LISTENER_CONNECTED) private readonly connected: Gauge,
    @InjectMetric(INVALIDATION_DELAY) private readonly delay: Histogram<'kind'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.connected.set(0);
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.unlistenEmbedded?.().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) {
      return;
    }
    try {
      if (this.config.isEmbeddedDatabase) {
        const database = await getPGliteInstance();
        this.unlistenEmbedded = await database.listen(INVALIDATION_CHANNEL, (payload) => this.receive(payload));
      } else {
        await this.connectPostgres();
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not listen for invalidations; retrying');
      this.scheduleReconnect();
      return;
    }
    this.backoffMs = RECONNECT_INITIAL_MS;
    this.connected.set(1);
    this.invalidations.setListening(true);
    this.logger.log('listening for invalidations');
  }

  private async connectPostgres(): Promise<void> {
    const client = new Client({
      connectionString: this.config.DATABASE_URL,
      application_name: LISTENER_APPLICATION_NAME,
      connectionTimeoutMillis: this.config.DATABASE_CONNECT_TIMEOUT_MS,
      query_timeout: this.config.DATABASE_STATEMENT_TIMEOUT_MS,
      keepAlive: true,
    });
    client.on('notification', (message: Notification) => this.receive(message.payload));
    client.on('error', (error: Error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    } catch (error) {
      this.client = undefined;
      await client.end().catch(() => undefined);
      throw error;
    }
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: unknown) => this.lost(client, error));
    }, HEARTBEAT_MS).unref();
  }

  private receive(payload: string | undefined): void {
    const invalidation = this.invalidations.parse(payload);
    if (invalidation === undefined) {
      return;
    }
    this.invalidations.apply(invalidation.kind, invalidation.id);
    const kind = this.invalidations.knows(invalidation.kind) ? invalidation.kind : 'other';
    this.received.labels(kind).inc();
    this.delay.labels(kind).observe(Math.max(0, Date.now() - invalidation.publishedAt) / 1000);
  }

  /** The listening connection is gone: flush, fall back to the short TTL, reconnect. Once per connection. */
  private lost(client: Client, error?: unknown): void {
    if (this.client !== client || this.stopped) {
      return;
    }
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.end().catch(() => undefined);
    this.connected.set(0);
    this.invalidations.setListening(false);
    this.logger.warn({ err: error }, 'lost the invalidation listener connection; caches flushed, reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) {
      return;
    }
    const delay = this.backoffMs / 2 + Math.random() * (this.backoffMs / 2);
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay).unref();
  }
}
