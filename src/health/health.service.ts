import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  MemoryHealthIndicator,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { AppConfig } from 'src/config/app-config';
import { HealthResponseDto, PingResponseDto } from 'src/health/dto/health.dto';
import { HealthError, HealthErrorCode } from 'src/health/health.errors';

/** What one run of the checks found: each check's result, and the names of the failing ones. */
interface HealthOutcome {
  checks: Record<string, Record<string, unknown>>;
  failing?: string[];
}

/** A probe must answer quickly even when the database hangs. */
const DATABASE_PING_TIMEOUT_MS = 1_000;

@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly config: AppConfig,
  ) {}

  /** The checks running now: probes that arrive meanwhile wait for their outcome instead of starting their own. */
  private running: Promise<HealthOutcome> | undefined;

  /**
   * Every probe sees the outcome of checks that started no earlier than the last outcome was delivered, so
   * a failure shows at once; concurrent probes share one run (one database ping), which keeps frequent
   * probes cheap.
   */
  async check(): Promise<HealthResponseDto> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    const outcome = await this.running;
    if (outcome.failing === undefined) {
      return { status: 'ok', checks: outcome.checks };
    }
    throw new HealthError(HealthErrorCode.Unhealthy, `Failing: ${outcome.failing.join(', ')}.`, {
      checks: outcome.checks,
    });
  }

  private async run(): Promise<HealthOutcome> {
    try {
      const result = await this.health.check([
        () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
        () => this.memory.checkHeap('heap', this.config.HEALTH_HEAP_LIMIT_MB * 1024 * 1024),
      ]);
      return { checks: result.details };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) {
        throw error;
      }
      const result = error.getResponse() as HealthCheckResult;
      const failing = Object.keys(result.error ?? {});
      // The reasons (driver messages with hosts, users…) go to the log; the unauthenticated body names the check only.
      this.logger.warn({ failing, reasons: result.error }, 'health check failed');
      const checks = Object.fromEntries(Object.entries(result.details).map(([name, { status }]) => [name, { status }]));
      return { checks, failing };
    }
  }

  ping(): PingResponseDto {
    return { status: 'ok' };
  }
}
