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

  async check(): Promise<HealthResponseDto> {
    try {
      const result = await this.health.check([
        () => this.database.pingCheck('database', { timeout: DATABASE_PING_TIMEOUT_MS }),
        () => this.memory.checkHeap('heap', this.config.HEALTH_HEAP_LIMIT_MB * 1024 * 1024),
      ]);
      return { status: 'ok', checks: result.details };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) {
        throw error;
      }
      const result = error.getResponse() as HealthCheckResult;
      const failing = Object.keys(result.error ?? {});
      // The reasons (driver messages with hosts, users…) go to the log; the unauthenticated body names the check only.
      this.logger.warn({ failing, reasons: result.error }, 'health check failed');
      const checks = Object.fromEntries(Object.entries(result.details).map(([name, { status }]) => [name, { status }]));
      throw new HealthError(HealthErrorCode.Unhealthy, `Failing: ${failing.join(', ')}.`, { checks });
    }
  }

  ping(): PingResponseDto {
    return { status: 'ok' };
  }
}
