import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Injectable, Logger, type OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  type HealthIndicatorResult,
  HealthIndicatorService,
  MemoryHealthIndicator,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { HealthSettings } from 'src/health/health.settings';
import { Database } from 'src/database/database';
import { HealthResponseDto, PingResponseDto } from 'src/health/dto/health.dto';
import { HealthError, HealthErrorCode } from 'src/health/health.errors';
import { Invalidations } from 'src/invalidation/invalidations';
import { KeysService } from 'src/openid/keys.service';

/** What one run of the checks found: each check's result, and the names of the failing ones. */
interface HealthOutcome {
  checks: Record<string, Record<string, unknown>>;
  failing?: string[];
}

type Check = Parameters<HealthCheckService['check']>[0][number];

/** A probe must answer quickly even when the database hangs. */
const DATABASE_PING_TIMEOUT_MS = 1_000;

/**
 * Two questions, for two probes (helm values: liveness on /healthz, readiness and startup on /readyz):
 * - liveness: can this process serve? Its event loop is not stalled and its heap is within bounds. Nothing
 *   outside the process counts: a database outage must not make Kubernetes restart every pod at once.
 * - readiness: should it receive traffic? The database answers, every migration of this build is applied, the
 *   signing keys are loaded. The invalidation listener is reported, not required: while it is down the caches
 *   fall back to INVALIDATION_FALLBACK_TTL_SECONDS (docs/revocation.md), so the replica still serves correctly.
 */
@Injectable()
export class HealthService implements OnModuleDestroy {
  private readonly logger = new Logger(HealthService.name);
  private readonly eventLoop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  /** The checks running now, per probe: probes that arrive meanwhile share their outcome. */
  private readonly running = new Map<string, Promise<HealthOutcome>>();

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly migrations: Database,
    private readonly keys: KeysService,
    private readonly invalidations: Invalidations,
    private readonly config: HealthSettings,
  ) {
    this.eventLoop.enable();
  }

  onModuleDestroy(): void {
    this.eventLoop.disable();
  }

  liveness(): Promise<HealthResponseDto> {
    return this.check('liveness', [
      () => this.eventLoopCheck(),
      () => this.memory.checkHeap('heap', this.config.HEALTH_HEAP_LIMIT_MB * 1024 * 1024),
    ]);
  }

  readiness(): Promise<HealthResponseDto> {
    return this.check('readiness', [
      () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
      () => this.migrationsCheck(),
      () => this.signingKeysCheck(),
      () => this.invalidationListenerCheck(),
    ]);
  }

  ping(): PingResponseDto {
    return { status: 'ok' };
  }

  /**
   * Every probe sees the outcome of checks that started no earlier than the last outcome was delivered, so a
   * failure shows at once; concurrent probes share one run (one database ping), which keeps frequent probes cheap.
   */
  private async check(probe: string, checks: Check[]): Promise<HealthResponseDto> {
    let running = this.running.get(probe);
    if (running === undefined) {
      running = this.run(probe, checks).finally(() => this.running.delete(probe));
      this.running.set(probe, running);
    }
    const outcome = await running;
    if (outcome.failing === undefined) {
      return { status: 'ok', checks: outcome.checks };
    }
    throw new HealthError(HealthErrorCode.Unhealthy, `Failing: ${outcome.failing.join(', ')}.`, {
      checks: outcome.checks,
    });
  }

  private async run(probe: string, checks: Check[]): Promise<HealthOutcome> {
    try {
      const result = await this.health.check(checks);
      return { checks: result.details };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) {
        throw error;
      }
      const result = error.getResponse() as HealthCheckResult;
      const failing = Object.keys(result.error ?? {});
      // The reasons (driver messages with hosts, users…) go to the log; the unauthenticated body names the check only.
      this.logger.warn({ probe, failing, reasons: result.error }, `${probe} check failed`);
      const checks = Object.fromEntries(Object.entries(result.details).map(([name, { status }]) => [name, { status }]));
      return { checks, failing };
    }
  }

  /** The longest the event loop was blocked since the previous probe. */
  private eventLoopCheck(): Promise<HealthIndicatorResult> {
    const maxDelayMs = Math.round(this.eventLoop.max / 1e6);
    this.eventLoop.reset();
    const indicator = this.indicators.check('eventLoop');
    return Promise.resolve(
      maxDelayMs <= this.config.HEALTH_EVENT_LOOP_LIMIT_MS
        ? indicator.up({ maxDelayMs })
        : indicator.down({ maxDelayMs }),
    );
  }

  private async migrationsCheck(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('migrations');
    try {
      const pending = await this.migrations.pendingMigrations();
      return pending.length === 0 ? indicator.up() : indicator.down({ pending: pending.length });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  /** The keys are read at boot (a bad configuration stops it); a replica that publishes no key cannot serve. */
  private signingKeysCheck(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('signingKeys');
    const published = this.keys.publicKeys().length;
    return Promise.resolve(
      published > 0 ? indicator.up({ published, signing: this.keys.activeKid !== undefined }) : indicator.down(),
    );
  }

  /** Reported, never failing: without the listener the caches use the short fallback TTL (see the class comment). */
  private invalidationListenerCheck(): Promise<HealthIndicatorResult> {
    const listening = this.invalidations.listening;
    return Promise.resolve(
      this.indicators.check('invalidationListener').up({ listening, ...(listening ? {} : { fallback: true }) }),
    );
  }
}
